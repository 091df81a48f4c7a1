import { Command, CommanderError } from 'commander';
import { initNodeBackend, type NodeBackend } from './nodeBackend.ts';
import { nodeOnnxRuntime } from './ortNodeRuntime.ts';
import { useOnnxRuntime } from '../training/inference/onnxRuntime.ts';
import { embedCommand } from './commands/embed.ts';
import { trainCommand } from './commands/train.ts';
import { evalCommand } from './commands/eval.ts';
import { exportCommand } from './commands/export.ts';
import { initCommand } from './commands/init.ts';
import { queriesCommand } from './commands/queries.ts';
import { vectorsCommand } from './commands/vectors.ts';
import { chorusConfigCommand } from './commands/chorusConfig.ts';
import { serveCommand } from './commands/serve.ts';
import { prepareCommand } from './commands/prepare.ts';
import { gplCommand } from './commands/gpl.ts';
import { mineCommand } from './commands/mine.ts';

/** The headless ftlab: the lab's training pipeline for automation, tests and benchmarks. */
export function buildProgram(): Command {
  const program = new Command('ftlab')
    .description('fine-tune sentence embedding models for e-commerce search (TensorFlow.js)')
    .option('--backend <name>', 'tfjs backend: wasm (default) or cpu')
    .option('--no-onnx', 'run embedding, evaluation and cross-encoder scoring on tfjs instead of onnxruntime-node')
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', async () => {
    await initNodeBackend((program.opts().backend as NodeBackend | undefined) ?? ((process.env.FTLAB_BACKEND as NodeBackend) || 'wasm'));
    // forward-only work (embedding, mining, evaluation) runs on onnxruntime over the current weights' graph
    useOnnxRuntime(program.opts().onnx === false ? undefined : nodeOnnxRuntime());
  });
  for (const add of [initCommand, embedCommand, trainCommand, evalCommand, exportCommand, queriesCommand]) add(program);
  for (const add of [vectorsCommand, chorusConfigCommand, serveCommand]) add(program);
  for (const add of [prepareCommand, gplCommand, mineCommand]) add(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    // one line for the user; the stack only on request (bad input is the common case, not a bug)
    const err = e as Error;
    process.stderr.write(`ftlab: ${err.message}\n`);
    if (process.env.FTLAB_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/main.ts')) {
  process.exitCode = await main(process.argv);
}
