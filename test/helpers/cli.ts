import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const bin = path.resolve(import.meta.dirname, '../../bin/ftlab.js');

/** Runs the real `ftlab` binary in a child process, as a user would. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function tempDir(prefix = 'ftlab-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ServeCli {
  url: string;
  routes: string[];
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/**
 * Starts `ftlab serve` (args after "serve") and resolves with the address and routes it prints on its first
 * stdout line; `stop` sends SIGTERM, as a container runtime would, and resolves with the exit code.
 */
export async function startServeCli(args: string[]): Promise<ServeCli> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  try {
    const ready = await new Promise<{ url: string; routes: string[] }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    });
    return { ...ready, stderr: () => stderr, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
