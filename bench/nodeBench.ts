import { initNodeBackend } from '../src/cli/nodeBackend.ts';
import { runTextBench, type TextBenchOptions } from './textBench.ts';
import { runOnnxBench } from './onnxBench.ts';

/**
 * Child-process entry (spawned by bench/run.ts so a backend over its budget can be killed):
 *   node --import tsx bench/nodeBench.ts '<json job>'
 * job = { backend: 'wasm' | 'cpu' | 'onnx', ...TextBenchOptions }. Results go to stdout as JSON lines
 * ({"partial": ...} while running, {"result": ...} at the end); progress goes to stderr.
 */
type Job = Omit<TextBenchOptions, 'log' | 'onPartial'> & { backend: 'wasm' | 'cpu' | 'onnx' };

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const log = (m: string) => process.stderr.write(`  [node-${job.backend}] ${m}\n`);
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

try {
  if (job.backend === 'onnx') {
    await initNodeBackend('cpu'); // tfjs only builds the token batches here
    emit({ result: await runOnnxBench({ ...job, log }) });
  } else {
    const active = await initNodeBackend(job.backend);
    if (active !== job.backend) throw new Error(`tfjs backend ${job.backend} unavailable (got ${active})`);
    emit({ result: await runTextBench({ ...job, log, onPartial: (r) => emit({ partial: r }) }) });
  }
} catch (e) {
  emit({ result: { error: String((e as Error).stack ?? e) } });
}
