// Shared by the benchmark scripts: argument parsing, statistics, result files.
import { mkdirSync, appendFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
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
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    // Uncommitted engine changes make the figures those of a working tree, not of the commit.
    if (execSync('git status --porcelain -- src workers', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '') commit += '-dirty';
  } catch { /* not a checkout */ }
  return { cores: availableParallelism(), cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, v8: process.versions.v8, platform: `${process.platform}-${process.arch}`, commit,
    // 1-minute load average when the result was written: above the core count, other processes shared the CPUs.
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 };
}

/** `--name value` flags with numeric defaults; `--help` prints them (and `usage`, the bench's other flags) and exits. */
export function numArgs<T extends Record<string, number>>(defaults: T, argv = process.argv.slice(2), usage = ''): T {
  if (argv.includes('--help') || argv.includes('-h')) {
    const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    process.stdout.write(`${usage}${usage ? '\n' : ''}numeric flags (defaults):\n${Object.entries(defaults).map(([k, v]) => `  --${kebab(k)} ${v}`).join('\n')}\n`);
    process.exit(0);
  }
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(k in defaults)) throw new Error(`unknown flag ${argv[i]}; known: ${Object.keys(defaults).join(', ')}`);
    out[k] = Number(argv[i + 1]);
  }
  return out as T;
}

/** Where report() appends: $SABRE_BENCH_DIR (tests point it at a temp dir), else bench-results/. */
export function resultsDir(): string {
  return process.env.SABRE_BENCH_DIR || 'bench-results';
}

/** Print the JSON and append it to bench-results/<scenario>-<date>.json (one JSON document per line). */
export function report(scenario: string, result: Record<string, unknown>): Record<string, unknown> {
  const doc = { scenario, date: new Date().toISOString(), machine: machine(), ...result };
  const text = JSON.stringify(doc, null, 2);
  process.stdout.write(text + '\n');
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  appendFileSync(`${dir}/${scenario}-${doc.date.slice(0, 10)}.json`, JSON.stringify(doc) + '\n');
  return doc;
}

/** Percentile of an ascending-sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${msg}`);
  else process.stderr.write(msg + '\n');
}

/** A progress bar line on stderr: `[sabre bench] label [#####-----] 5/10 elapsed 12s`. */
export function progressBar(label: string, done: number, total: number, startedMs: number): void {
  const width = 20;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  const secs = Math.round((performance.now() - startedMs) / 1000);
  progress(`[sabre bench] [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${secs}s ${label}`);
}
