// Checks the native references (Rust and Go) against the job of
// docs/SEMANTICS.md written here straightforwardly, single-threaded, in plain
// JavaScript: the generator, tumbling windows with count/sum/min/max/avg, one
// partition, wm = maxTs - outOfOrderness, allowedLateness 0, END fires all.
// Fired windows are compared as sorted NDJSON lines (firing order across keys
// is not part of the contract), plus the late-record and fired-window counts.
//
// Run after scripts/build-native.sh:  node native-bench/check-reference.mjs
// Options: --only rust|go (check one), --count N (records per case, default 200000).
// No dependencies; exits 1 on any difference.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BINARIES = {
  rust: join(here, 'rust/target/release/sabre-native-rust'),
  go: join(here, 'go/bin/sabre-native-go'),
};
// Each binary as checked. Rust is the single-partition job. Go's N shards keep
// a watermark each, i.e. they are the job with N partitions: that equals the
// single-partition job when no record is later than the bound (checked on
// the on-time cases), and is checked against the N-partition job on the late
// ones (shards: N).
const VARIANTS = [
  { impl: 'rust', label: 'rust', args: [] },
  { impl: 'go', label: 'go', args: [], shards: os.availableParallelism() },
  { impl: 'go', label: 'go --workers 5 --batch 64', args: ['--workers', '5', '--batch', '64'], shards: 5 },
  { impl: 'go', label: 'go --workers 1', args: ['--workers', '1'], shards: 1 },
];
const T0 = 1700000000000;
const TWO_32 = 4294967296;

// ---- the generator (docs/SEMANTICS.md, "The built-in generator") ----
function* generate({ count, keys, seed, disorder, eventsPerMs }) {
  let x = seed >>> 0;
  if (x === 0) x = 0x9e3779b9;
  const draw = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  const uniform = (r, n) => Math.floor((r * n) / TWO_32);
  for (let i = 0; i < count; i++) {
    const r1 = draw();
    const r2 = draw();
    const r3 = draw();
    const k = uniform(r1, keys);
    const value = 100 + (r2 % 10000) / 100;
    const j = uniform(r3, disorder + 1);
    yield { key: 'SYM' + k, ts: T0 + Math.floor(i / eventsPerMs) - j, value };
  }
}

// ---- partitioning (docs/SEMANTICS.md, "Partitioning"): Kafka's murmur2 ----
function murmur2(bytes) {
  const M = 0x5bd1e995;
  let h = (0x9747b28c ^ bytes.length) | 0;
  const n4 = bytes.length >> 2;
  for (let i = 0; i < n4; i++) {
    const o = i * 4;
    let k = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const o = n4 << 2;
  const rest = bytes.length & 3;
  if (rest === 3) h ^= bytes[o + 2] << 16;
  if (rest >= 2) h ^= bytes[o + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ bytes[o], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
const partitionOf = (key, partitions) => ((murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % 128) % partitions;

// ---- the job: tumbling windows, per-partition watermarks (the native
// references are checked with partitions = 1; Go's shards are partitions) ----
function runJob(opts, partitions = 1) {
  const { windowMs, outOfOrderness } = opts;
  const lines = [];
  let late = 0;
  const parts = Array.from({ length: partitions }, () => ({
    open: new Map(), // start -> Map(key -> {count,sum,min,max})
    maxTs: -Infinity,
    wm: -Infinity,
  }));
  const fireUpTo = (part, w) => {
    for (const start of [...part.open.keys()].sort((a, b) => a - b)) {
      if (start + windowMs > w) continue;
      for (const [key, a] of part.open.get(start)) {
        lines.push(JSON.stringify({ key, start, end: start + windowMs, count: a.count, sum: a.sum, min: a.min, max: a.max, avg: a.sum / a.count, fire: 'watermark' }));
      }
      part.open.delete(start);
    }
  };
  for (const r of generate(opts)) {
    const part = parts[partitions === 1 ? 0 : partitionOf(r.key, partitions)];
    // 1. assign; an expired window (end <= wm, allowedLateness 0) makes the record late.
    const start = Math.floor(r.ts / windowMs) * windowMs;
    if (start + windowMs <= part.wm) {
      late++;
    } else {
      let perKey = part.open.get(start);
      if (!perKey) part.open.set(start, (perKey = new Map()));
      let a = perKey.get(r.key);
      if (!a) perKey.set(r.key, (a = { count: 0, sum: 0, min: Infinity, max: -Infinity }));
      a.count++;
      a.sum += r.value;
      a.min = Math.min(a.min, r.value);
      a.max = Math.max(a.max, r.value);
    }
    // 2. watermark; 3. fire windows with end <= wm.
    part.maxTs = Math.max(part.maxTs, r.ts);
    const next = part.maxTs - outOfOrderness;
    if (next > part.wm) {
      part.wm = next;
      fireUpTo(part, part.wm);
    }
  }
  for (const part of parts) fireUpTo(part, Infinity); // END
  return { lines, late };
}

// ---- cases ----
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const only = flag('only', undefined);
const baseCount = Number(flag('count', 200000));
const base = { count: baseCount, keys: 100, seed: 42, disorder: 100, eventsPerMs: 1000, windowMs: 1000, outOfOrderness: 200 };
// 200k records at 1000/ms span only 200 ms of event time (2 windows per key),
// so most cases slow the simulated clock down to cover many windows.
const cases = [
  { ...base },
  { ...base, seed: 1, eventsPerMs: 20 },
  { ...base, seed: 7, eventsPerMs: 20 },
  { ...base, seed: 123456789, eventsPerMs: 50 },
  { ...base, seed: 0, eventsPerMs: 20 }, // the 0 -> 0x9E3779B9 rule
  { ...base, seed: 4294967295, eventsPerMs: 20 },
  { ...base, keys: 1, eventsPerMs: 10 },
  { ...base, keys: 10000, seed: 3, eventsPerMs: 20 },
  { ...base, seed: 5, eventsPerMs: 37, windowMs: 250, disorder: 50, outOfOrderness: 50 },
  { ...base, seed: 9, eventsPerMs: 2.5, windowMs: 100, disorder: 0, outOfOrderness: 0 },
  // Records later than the bound: late records, and watermark semantics that
  // depend on the partitioning (Go: N partitions, see VARIANTS).
  { ...base, seed: 11, eventsPerMs: 20, disorder: 500, outOfOrderness: 200, lateCase: true },
  { ...base, seed: 12, eventsPerMs: 5, disorder: 300, outOfOrderness: 0, windowMs: 100, lateCase: true },
];

const variants = VARIANTS.filter((v) => !only || only === v.impl);
const impls = [...new Set(variants.map((v) => v.impl))];
for (const name of impls) {
  if (!existsSync(BINARIES[name])) {
    console.error(`missing ${BINARIES[name]}: run scripts/build-native.sh first`);
    process.exit(1);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'sabre-native-check-'));
let failures = 0;
try {
  for (const c of cases) {
    const { lateCase, ...opts } = c;
    const desc = Object.entries(opts).map(([k, v]) => `${k}=${v}`).join(' ');
    const expectedBy = new Map(); // partitions -> { want, late }
    const expect = (partitions) => {
      if (!expectedBy.has(partitions)) {
        const e = runJob(opts, partitions);
        expectedBy.set(partitions, { want: [...e.lines].sort(), late: e.late });
      }
      return expectedBy.get(partitions);
    };
    for (const { impl: name, label, args: extra, shards } of variants) {
      // On-time cases: every implementation must equal the single-partition job.
      const partitions = lateCase && shards !== undefined ? shards : 1;
      const { want, late } = expect(partitions);
      const out = join(tmp, `${name}.ndjson`);
      const args = [
        '--mode', 'results', '--output', out,
        '--count', opts.count, '--keys', opts.keys, '--seed', opts.seed, '--disorder', opts.disorder,
        '--events-per-ms', opts.eventsPerMs, '--window-ms', opts.windowMs, '--out-of-orderness', opts.outOfOrderness,
        ...extra,
      ].map(String);
      const summary = JSON.parse(execFileSync(BINARIES[name], args, { encoding: 'utf8' }).trim());
      const got = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '').sort();
      const problems = [];
      if (summary.lateRecords !== late) problems.push(`lateRecords ${summary.lateRecords} != ${late}`);
      if (summary.windowsFired !== want.length) problems.push(`windowsFired ${summary.windowsFired} != ${want.length}`);
      if (got.length !== want.length) problems.push(`${got.length} lines != ${want.length}`);
      for (let i = 0; i < Math.max(got.length, want.length) && problems.length < 6; i++) {
        if (got[i] !== want[i]) problems.push(`line ${i}:\n    got  ${got[i]}\n    want ${want[i]}`);
      }
      const vs = partitions === 1 ? '' : ` (vs ${partitions} partitions)`;
      if (problems.length === 0) {
        console.log(`ok   ${label.padEnd(26)} ${desc}: ${want.length} windows, ${late} late${vs}`);
      } else {
        failures++;
        console.log(`FAIL ${label.padEnd(26)} ${desc}${vs}\n  ${problems.join('\n  ')}`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failures > 0) {
  console.log(`${failures} mismatch(es)`);
  process.exit(1);
}
console.log('all identical');
