import type { Command } from 'commander';
import { initModel } from '../../training/init/initModel.ts';
import { initClipModel } from '../../training/init/initClipModel.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { defaultTextTemplate, readCorpusTexts } from './evalSetup.ts';

interface InitFlags {
  corpus: string[];
  output: string;
  hidden: string;
  layers: string;
  heads: string;
  intermediate?: string;
  vocabSize?: string;
  maxSeqLength?: string;
  seed: string;
  textTemplate: string;
  clip?: boolean;
  merges?: string;
  imageSize?: string;
  patchSize?: string;
  projection?: string;
}

const int = (v: string, flag: string) => parseNumber(v, flag, { integer: true, min: 1 });

/** A from-scratch CLIPModel: both towers get --hidden/--layers/--heads; the BPE merges are learned from the corpus. */
function clipFiles(o: InitFlags, texts: string[], hidden: number, heads: number) {
  if (o.vocabSize !== undefined)
    throw new CliError("--vocab-size is for BERT's WordPiece; a CLIP vocabulary is 512 byte tokens plus --merges learned merges");
  const imageSize = int(o.imageSize ?? '224', '--image-size');
  const patchSize = int(o.patchSize ?? '32', '--patch-size');
  if (imageSize % patchSize) throw new CliError(`--image-size ${imageSize} must be a multiple of --patch-size ${patchSize}`);
  const layers = int(o.layers, '--layers');
  const intermediate = o.intermediate ? int(o.intermediate, '--intermediate') : undefined;
  return initClipModel({
    texts,
    merges: int(o.merges ?? '2000', '--merges'),
    textHidden: hidden,
    textLayers: layers,
    textHeads: heads,
    textIntermediate: intermediate,
    visionHidden: hidden,
    visionLayers: layers,
    visionHeads: heads,
    visionIntermediate: intermediate,
    projectionDim: int(o.projection ?? '64', '--projection'),
    maxTextLength: int(o.maxSeqLength ?? '77', '--max-seq-length'),
    imageSize,
    patchSize,
    seed: parseNumber(o.seed, '--seed', { integer: true, min: 0 }),
  });
}

export function initCommand(program: Command) {
  program
    .command('init')
    .description('create a randomly initialised BERT (or with --clip a CLIPModel) in Hugging Face layout, with a vocabulary built from a corpus')
    .requiredOption('--corpus <files...>', 'products (Chorus JSON arrays, .json.zip, .jsonl) or .txt files, one text per line')
    .requiredOption('--output <dir>', 'model folder to write')
    .option('--clip', 'a CLIP model (text + image towers, byte-level BPE tokenizer, preprocessor_config.json)')
    .option('--hidden <n>', 'hidden size (of each tower with --clip)', '128')
    .option('--layers <n>', 'transformer layers', '2')
    .option('--heads <n>', 'attention heads', '4')
    .option('--intermediate <n>', 'feed-forward size (default 4 x hidden)')
    .option('--vocab-size <n>', 'WordPiece vocabulary size (default 8000)')
    .option('--max-seq-length <n>', 'max tokens per text (default 128; 77 with --clip)')
    .option('--merges <n>', 'clip: most BPE merges to learn (default 2000)')
    .option('--image-size <n>', 'clip: input image size (default 224)')
    .option('--patch-size <n>', 'clip: vision patch size (default 32)')
    .option('--projection <n>', 'clip: shared embedding size (default 64)')
    .option('--seed <n>', 'weight initialisation seed', '0')
    .option('--text-template <t>', 'product text used to build the vocabulary', defaultTextTemplate)
    .action(async (o: InitFlags) => {
      const plain = o.corpus.filter((f) => /\.txt$/i.test(f));
      const products = o.corpus.filter((f) => !/\.txt$/i.test(f));
      const texts = [
        ...(await Promise.all(plain.map(readTextFile))).flatMap((t) => t.split(/\r?\n/).filter((l) => l.trim())),
        ...(products.length ? (await readCorpusTexts(products, o.textTemplate)).texts : []),
      ];
      if (!texts.length) throw new CliError(`${o.corpus.join(', ')}: no texts to build a vocabulary from`);
      const hidden = int(o.hidden, '--hidden');
      const heads = int(o.heads, '--heads');
      if (hidden % heads) throw new CliError(`--hidden ${hidden} must be a multiple of --heads ${heads}`);
      if (!o.clip) {
        const clipOnly = (['merges', 'imageSize', 'patchSize', 'projection'] as const).find((k) => o[k] !== undefined);
        if (clipOnly) throw new CliError(`--${clipOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --clip only`);
      }
      const files = o.clip
        ? clipFiles(o, texts, hidden, heads)
        : initModel({
            texts,
            hidden,
            heads,
            layers: int(o.layers, '--layers'),
            intermediate: o.intermediate ? int(o.intermediate, '--intermediate') : undefined,
            vocabSize: int(o.vocabSize ?? '8000', '--vocab-size'),
            maxSeqLength: int(o.maxSeqLength ?? '128', '--max-seq-length'),
            seed: parseNumber(o.seed, '--seed', { integer: true, min: 0 }),
          });
      await writeModelFiles(o.output, files);
      process.stderr.write(`initialised a ${o.layers}-layer, ${hidden}-wide ${o.clip ? 'CLIP' : 'BERT'} from ${texts.length} texts in ${o.output}\n`);
    });
}
