import type { Command } from 'commander';
import { initModel } from '../../training/init/initModel.ts';
import { writeModelFiles } from '../writeModelFiles.ts';
import { readTextFile } from '../inputs.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { defaultTextTemplate, readCorpusTexts } from './evalSetup.ts';

interface InitFlags {
  corpus: string[]; output: string; hidden: string; layers: string; heads: string; intermediate?: string;
  vocabSize: string; maxSeqLength: string; seed: string; textTemplate: string;
}

export function initCommand(program: Command) {
  program
    .command('init')
    .description('create a randomly initialised BERT in Hugging Face layout, with a WordPiece vocabulary built from a corpus')
    .requiredOption('--corpus <files...>', 'products (Chorus JSON arrays, .json.zip, .jsonl) or .txt files, one text per line')
    .requiredOption('--output <dir>', 'model folder to write')
    .option('--hidden <n>', 'hidden size', '128')
    .option('--layers <n>', 'transformer layers', '2')
    .option('--heads <n>', 'attention heads', '4')
    .option('--intermediate <n>', 'feed-forward size (default 4 x hidden)')
    .option('--vocab-size <n>', 'WordPiece vocabulary size', '8000')
    .option('--max-seq-length <n>', 'max tokens per text', '128')
    .option('--seed <n>', 'weight initialisation seed', '0')
    .option('--text-template <t>', 'product text used to build the vocabulary', defaultTextTemplate)
    .action(async (o: InitFlags) => {
      const int = (v: string, flag: string) => parseNumber(v, flag, { integer: true, min: 1 });
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
      const files = initModel({
        texts,
        hidden,
        heads,
        layers: int(o.layers, '--layers'),
        intermediate: o.intermediate ? int(o.intermediate, '--intermediate') : undefined,
        vocabSize: int(o.vocabSize, '--vocab-size'),
        maxSeqLength: int(o.maxSeqLength, '--max-seq-length'),
        seed: parseNumber(o.seed, '--seed', { integer: true, min: 0 }),
      });
      await writeModelFiles(o.output, files);
      process.stderr.write(`initialised a ${o.layers}-layer, ${hidden}-wide BERT from ${texts.length} texts in ${o.output}\n`);
    });
}
