// Options and results shared by the baselines (the job Sabre runs, written the
// way a Node user would without Sabre), and their command-line form.
import { parseArgs } from 'node:util';
import type { WindowResult } from './tumbling-job.js';

export interface BaselineOptions {
  /** Records to generate. */
  count: number;
  keys: number;
  seed: number;
  /** Max jitter subtracted from event time, ms (docs/SEMANTICS.md). */
  disorder: number;
  eventsPerMs: number;
  /** Tumbling window size, ms. */
  windowMs: number;
  /** Watermark bound: wm = maxTs - outOfOrderness. */
  outOfOrderness: number;
  /** Keep the fired windows (for tests); otherwise they are only counted (null sink). */
  collect?: boolean;
}

export interface BaselineResult {
  records: number;
  seconds: number;
  recordsPerSec: number;
  windowsFired: number;
  /** Records dropped because their window had already fired. */
  late: number;
  results?: WindowResult[];
}

/** The core benchmark's shape: 10M trades over 10k keys, 1 s windows, 200 ms bound. */
export const BASELINE_DEFAULTS: Readonly<Omit<BaselineOptions, 'collect'>> = Object.freeze({
  count: 10_000_000,
  keys: 10_000,
  seed: 42,
  disorder: 100,
  eventsPerMs: 1000,
  windowMs: 1000,
  outOfOrderness: 200,
});

/** `--count 1e6 --keys 100 ...` plus any extra numeric or string flags a runner declares. */
export function parseBaselineArgs(argv: string[], extra: Record<string, 'number' | 'string'> = {}): Record<string, number | string> {
  const names = [...Object.keys(BASELINE_DEFAULTS), ...Object.keys(extra)];
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    strict: true,
  });
  const out: Record<string, number | string> = { ...BASELINE_DEFAULTS };
  for (const [name, raw] of Object.entries(values)) {
    if (typeof raw !== 'string') continue;
    if (extra[name] === 'string') {
      out[name] = raw;
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${raw}`);
    out[name] = n;
  }
  return out;
}

export function throughput(records: number, seconds: number): number {
  return Math.round(records / seconds);
}
