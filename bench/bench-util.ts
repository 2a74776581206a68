// Shared by the benchmark scripts: argument parsing, statistics, result files.
import { mkdirSync, appendFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { execSync } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function stats(xs: number[]): { min: number; median: number; max: number; runs: number[] } {
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs };
}

export function machine(): Record<string, unknown> {
  let commit = 'unknown';
  try { commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { /* not a checkout */ }
  return { cores: availableParallelism(), cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, commit };
}

/** `--name value` flags with numeric defaults. */
export function numArgs<T extends Record<string, number>>(defaults: T, argv = process.argv.slice(2)): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(k in defaults)) throw new Error(`unknown flag ${argv[i]}; known: ${Object.keys(defaults).join(', ')}`);
    out[k] = Number(argv[i + 1]);
  }
  return out as T;
}

/** Print the JSON and append it to bench-results/<scenario>-<date>.json (one JSON document per line). */
export function report(scenario: string, result: Record<string, unknown>): void {
  const doc = { scenario, date: new Date().toISOString(), machine: machine(), ...result };
  const text = JSON.stringify(doc, null, 2);
  process.stdout.write(text + '\n');
  mkdirSync('bench-results', { recursive: true });
  appendFileSync(`bench-results/${scenario}-${doc.date.slice(0, 10)}.json`, JSON.stringify(doc) + '\n');
}

export function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${msg}`);
  else process.stderr.write(msg + '\n');
}
