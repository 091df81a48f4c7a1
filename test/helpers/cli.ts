import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

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

/** runCli, failing the test unless the command exits 0 without an `ftlab: ` error line. */
export async function runCliOk(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await runCli(args, opts);
  expect(r.stderr, args.join(' ')).not.toMatch(/ftlab: /);
  expect(r.code, args.join(' ')).toBe(0);
  return r;
}

/** Command-line flags from an object: `{ hidden: 32, 'no-shuffle': true }` → `--hidden 32 --no-shuffle`. */
export function flags(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([name, v]) => (v === true ? [`--${name}`] : v === false ? [] : [`--${name}`, String(v)]));
}

/** The JSON objects of `--log-json` output, one per line. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log events of several types, read field by field
export function jsonLines(stdout: string): any[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** The `ftlab: ` error lines of a command's stderr. */
export function errorLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('ftlab: '));
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
