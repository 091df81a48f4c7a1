import { initNodeBackend } from '../src/cli/nodeBackend.ts';
import { runClipBench, type ClipBenchOptions } from './clipBench.ts';
import { runClipOnnxBench } from './clipOnnxBench.ts';

/**
 * Child-process entry for the CLIP bench (spawned by bench/run.ts through runNodeBench, so a backend over its
 * budget can be killed): node --import tsx bench/clipNodeBench.ts '<json job>'. Same protocol as nodeBench.ts:
 * {"partial": ...} / {"result": ...} JSON lines on stdout, progress on stderr.
 */
type Job = Omit<ClipBenchOptions, 'log' | 'onPartial'>;

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const log = (m: string) => process.stderr.write(`  [node-${job.backend}] clip: ${m}\n`);
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

try {
  const want = job.backend === 'onnx' ? 'cpu' : (job.backend as 'wasm' | 'cpu');
  const active = await initNodeBackend(want);
  if (active !== want) throw new Error(`tfjs backend ${want} unavailable (got ${active})`);
  const opts = { ...job, log, onPartial: (r: object) => emit({ partial: r }) };
  emit({ result: job.backend === 'onnx' ? await runClipOnnxBench(opts) : { ...(await runClipBench(opts)), backend: `node-${job.backend}` } });
} catch (e) {
  emit({ result: { error: String((e as Error).stack ?? e) } });
}
