import { onnxDtypes, type OnnxDtype } from '../../training/export/onnxVariants.ts';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { resolveModelSource } from '../folderSource.ts';
import { CliError, parseNumber } from '../cliError.ts';
import { modelTypeOf } from '../../training/families/registry.ts';
import type { ModelSource } from '../../training/source/modelSource.ts';
import { loadOnnxClipTextEmbedder } from '../serve/onnxClipTextEmbedder.ts';
import { loadOnnxTextEmbedder, type OnnxEmbedderOptions } from '../serve/onnxTextEmbedder.ts';
import { startEmbeddingServer, type ServedModel, type TextEmbedder } from '../serve/embeddingServer.ts';

interface Flags {
  model: string[];
  route: string[];
  port: string;
  host: string;
  maxBatch: string;
  maxWaitMs: string;
  maxBodyBytes: string;
  ignoreNormalize?: boolean;
  threads?: string;
  dtype: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function isPath(p: string) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * `--model dir --route r` pairs in order, or `--model r=dir`; a single model without a route serves as
 * `defaultRoute(model)`: ftbert, or ftclip for a CLIP folder (Chorus' route names).
 */
export async function pairModelsAndRoutes(
  models: string[],
  routes: string[],
  defaultRoute: (model: string) => Promise<string> = async () => 'ftbert',
): Promise<{ route: string; model: string }[]> {
  const pairs: { route?: string; model: string }[] = [];
  for (const spec of models) {
    const eq = spec.indexOf('=');
    if (eq > 0 && !(await isPath(spec))) pairs.push({ route: spec.slice(0, eq), model: spec.slice(eq + 1) });
    else pairs.push({ model: spec });
  }
  const plain = pairs.filter((p) => p.route === undefined);
  if (routes.length > plain.length) throw new CliError(`${routes.length} --route values for ${plain.length} --model value(s) without a route`);
  if (plain.length > 1 && routes.length < plain.length) throw new CliError('with several models, give each a --route (or write --model route=dir)');
  for (const [i, p] of plain.entries()) p.route = routes[i] ?? (await defaultRoute(p.model));
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.route!)) throw new CliError(`route "${p.route}" is given to two models`);
    seen.add(p.route!);
  }
  return pairs as { route: string; model: string }[];
}

/** A CLIP folder serves its text tower (onnx/text_model.onnx); anything else is a sentence-transformers text model. */
export async function loadServedEmbedder(source: ModelSource, opts: OnnxEmbedderOptions): Promise<TextEmbedder> {
  return (await modelTypeOf(source)) === 'clip' ? loadOnnxClipTextEmbedder(source, opts) : loadOnnxTextEmbedder(source, opts);
}

/** Chorus' route for a model given without one: ftclip for a CLIP folder, else ftbert. */
export const defaultServeRoute = async (model: string) => ((await modelTypeOf(await resolveModelSource(model))) === 'clip' ? 'ftclip' : 'ftbert');

export function serveCommand(program: Command) {
  program
    .command('serve')
    .description("serve models with Chorus' embeddings API (POST /<route>/text/) on onnxruntime, in place of Chorus' Python service")
    .requiredOption(
      '--model <dir|route=dir>',
      "model folder (repeatable; onnx/model.onnx, or a CLIP folder's onnx/text_model.onnx, is used, or built from model.safetensors)",
      collect,
    )
    .option('--route <name>', 'route of the matching --model (repeatable; default ftbert, ftclip for a CLIP model)', collect, [])
    .option('--port <n>', 'port (0 picks a free one)', '8000')
    .option('--host <addr>', 'address to listen on (0.0.0.0 to let Docker containers reach it)', '127.0.0.1')
    .option('--max-batch <n>', 'texts per ONNX run when requests arrive together', '32')
    .option('--max-wait-ms <ms>', 'how long a request waits for others to batch with', '2')
    .option('--max-body-bytes <n>', 'request body limit', String(1024 * 1024))
    .option('--threads <n>', 'onnxruntime intra-op threads (default: onnxruntime decides)')
    .option(
      '--dtype <d>',
      `the ONNX variant to run (${onnxDtypes.join(', ')}): ftlab export's file, or made in memory when the folder lacks it`,
      'fp32',
    )
    .option('--ignore-normalize', 'always answer the model\'s own vector, as Chorus\' ftbert route does, whatever "normalize" says')
    .action(async (o: Flags) => {
      const pairs = await pairModelsAndRoutes(o.model, o.route, defaultServeRoute);
      const threads = o.threads ? parseNumber(o.threads, '--threads', { integer: true, min: 1 }) : undefined;
      if (!(onnxDtypes as readonly string[]).includes(o.dtype))
        throw new CliError(`--dtype must be one of ${onnxDtypes.join(', ')}, got "${o.dtype}"`);
      const dtype = o.dtype as OnnxDtype;
      const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);
      const models: ServedModel[] = [];
      try {
        for (const p of pairs) {
          models.push({
            route: p.route,
            name: p.model,
            embedder: await loadServedEmbedder(await resolveModelSource(p.model), { onWarning, intraOpNumThreads: threads, dtype }),
          });
        }
      } catch (e) {
        for (const m of models) await m.embedder.release();
        throw e;
      }
      const server = await startEmbeddingServer({
        models,
        port: parseNumber(o.port, '--port', { integer: true, min: 0 }),
        host: o.host,
        maxBatch: parseNumber(o.maxBatch, '--max-batch', { integer: true, min: 1 }),
        maxWaitMs: parseNumber(o.maxWaitMs, '--max-wait-ms', { min: 0 }),
        maxBodyBytes: parseNumber(o.maxBodyBytes, '--max-body-bytes', { integer: true, min: 1 }),
        ignoreNormalize: o.ignoreNormalize,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      for (const m of models) process.stderr.write(`serving ${m.name} (${m.embedder.dimension} dimensions) at ${server.url}/${m.route}/text/\n`);
      process.stdout.write(JSON.stringify({ url: server.url, routes: models.map((m) => `/${m.route}/text/`) }) + '\n');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`${signal}: finishing in-flight requests and shutting down\n`);
          server.close().then(() => {
            process.stderr.write(`stopped; served ${JSON.stringify(server.stats())}\n`);
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
