import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextBenchOptions } from './textBench.ts';
import type { BackendEntry } from './summary.ts';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * Runs bench/nodeBench.ts in a child process: tfjs kernels are synchronous, so only killing the process can
 * enforce a budget. The child's last {"partial": ...} line is kept if it has to be killed.
 */
export function runNodeBench(
  backend: 'wasm' | 'cpu' | 'onnx',
  job: Omit<TextBenchOptions, 'log' | 'onPartial'> | Record<string, unknown>,
  budgetMs: number,
  log: (m: string) => void,
  /** the child entry in bench/ (the CLIP bench has its own) */
  script = 'nodeBench.ts',
): Promise<BackendEntry> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, script), JSON.stringify({ ...job, backend })], {
      cwd: path.dirname(benchDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial: unknown;
    let result: BackendEntry | undefined;
    let buf = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const msg = JSON.parse(line) as { partial?: unknown; result?: BackendEntry };
          if (msg.partial) partial = msg.partial;
          if (msg.result) result = msg.result;
        } catch {
          log(`  [node-${backend}] ${line}`);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // tfjs prints a banner about tfjs-node on stderr; keep only ftlab's progress lines visible
      for (const line of chunk.split('\n')) if (line.startsWith('  [node-')) log(line);
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, budgetMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ error: `exceeded its budget of ${(budgetMs / 1000).toFixed(0)} s`, partial });
      else if (result) resolve(result);
      else resolve({ error: `bench process exited with code ${code}: ${stderrTail.trim().split('\n').slice(-3).join(' ')}`, partial });
    });
  });
}
