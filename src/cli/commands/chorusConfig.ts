import { mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { chorusConfig, chorusConfigFiles } from '../../training/chorus/chorusConfig.ts';
import { parseBertConfig } from '../../training/models/bert/bertConfig.ts';
import { parseClipConfig } from '../../training/models/clip/clipConfig.ts';
import { readJson } from '../../training/source/modelSource.ts';
import { readTruncateDim } from '../../training/models/truncateDim.ts';
import { resolveModelSource } from '../folderSource.ts';
import { CliError, parseNumber } from '../cliError.ts';

interface Flags {
  model?: string;
  dimension?: string;
  clip?: boolean;
  route?: string;
  rewriter?: string;
  field?: string;
  embeddingsUrl: string;
  solrUrl: string;
  solrUser: string;
  topK: string;
  boost: string;
  outputDir?: string;
}

export function chorusConfigCommand(program: Command) {
  program
    .command('chorus-config')
    .description('Solr field type, Querqy embeddings rewriter, param sets and the curl commands that put a model into Chorus')
    .option(
      '--model <dir|hub id>',
      "model folder or Hub id (its truncate_dim or hidden_size, or a CLIP model's projection_dim, is the vector dimension)",
    )
    .option('--dimension <n>', 'vector dimension, instead of --model')
    .option(
      '--clip',
      'CLIP defaults (route ftclip, rewriter embftimg, field finetuned_product_image_vector, param sets querqy_*_by_ft_img_emb) with --dimension; implied by a CLIP --model',
    )
    .option('--route <name>', 'embeddings service route: <embeddings-url>/<route>/text/ (default ftbert; ftclip for CLIP)')
    .option('--rewriter <name>', 'Querqy rewriter name (default embfttxt; embftimg for CLIP)')
    .option('--field <name>', 'vector field (default finetuned_product_vector; finetuned_product_image_vector for CLIP)')
    .option('--embeddings-url <url>', 'the embeddings service as Solr reaches it', 'http://embeddings:8000')
    .option('--solr-url <url>', 'Solr as curl reaches it', 'http://localhost:8983')
    .option('--solr-user <user:password>', 'curl --user for Solr (empty for none)', 'solr:SolrRocks')
    .option('--top-k <n>', 'KNN candidates', '100')
    .option('--boost <n>', 'weight of the vector query in boost mode', '10000')
    .option('--output-dir <dir>', 'write the JSON payloads and apply.sh there (otherwise the script goes to stdout)')
    .action(async (o: Flags) => {
      let dimension: number;
      let clip = !!o.clip;
      if (o.dimension !== undefined) dimension = parseNumber(o.dimension, '--dimension', { integer: true, min: 1 });
      else if (o.model) {
        const source = await resolveModelSource(o.model);
        const raw = await readJson(source, 'config.json');
        const where = `${source.id}/config.json`;
        // a CLIP model's query vectors (text tower) and product vectors (image tower) share the projection space
        clip ||= raw.model_type === 'clip';
        if (raw.model_type === 'clip') dimension = parseClipConfig(raw, where).projection_dim;
        else {
          // a Matryoshka export's vectors are its truncate_dim long
          const hidden = parseBertConfig(raw, where).hidden_size;
          dimension = (await readTruncateDim(source, hidden)) ?? hidden;
        }
      } else throw new CliError('give --model (or --dimension)');
      const route = o.route ?? (clip ? 'ftclip' : 'ftbert');
      const rewriter = o.rewriter ?? (clip ? 'embftimg' : 'embfttxt');
      const field = o.field ?? (clip ? 'finetuned_product_image_vector' : 'finetuned_product_vector');
      // separate param sets, so the CLIP algorithm sits beside the fine-tuned text one instead of replacing it
      const paramSets = clip ? { matchParamSet: 'querqy_match_by_ft_img_emb', boostParamSet: 'querqy_boost_by_ft_img_emb' } : {};
      let cfg;
      try {
        cfg = chorusConfig({
          dimension,
          route,
          rewriter,
          field,
          ...paramSets,
          embeddingsUrl: o.embeddingsUrl,
          solrUrl: o.solrUrl,
          solrUser: o.solrUser,
          topK: parseNumber(o.topK, '--top-k', { integer: true, min: 1 }),
          boost: parseNumber(o.boost, '--boost'),
        });
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      if (!o.outputDir) {
        process.stdout.write(cfg.script);
        return;
      }
      await mkdir(o.outputDir, { recursive: true });
      for (const [name, text] of Object.entries(chorusConfigFiles(cfg))) await writeFile(path.join(o.outputDir, name), text);
      await chmod(path.join(o.outputDir, 'apply.sh'), 0o755);
      process.stderr.write(
        `wrote Chorus config for ${dimension} dimensions (field ${cfg.field}, type ${cfg.fieldTypeName}, rewriter ${cfg.rewriter.name}, ` +
          `param sets ${cfg.paramSets.match} and ${cfg.paramSets.boost}) to ${o.outputDir}; run ${path.join(o.outputDir, 'apply.sh')}\n`,
      );
    });
}
