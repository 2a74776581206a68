// Every `sabre bench` scenario runs in smoke mode (seconds) and its JSON is
// checked: fields present, every record accounted for, the same windows
// fired by Sabre and by every baseline of the same job. Then the Rust and Go
// references are checked for the same window results as Sabre's file sink on
// a small input. Needs the build (npx tsc -p tsconfig.json); builds the
// native references with scripts/build-native.sh (a missing toolchain skips
// its check, except when CI=true).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BENCH = join(ROOT, 'dist/bench/sabre-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'sabre-bench-smoke-'));
const native: Record<'rust' | 'go', string | undefined> = { rust: undefined, go: undefined };
const BIN = { rust: join(ROOT, 'native-bench/rust/target/release/sabre-native-rust'), go: join(ROOT, 'native-bench/go/bin/sabre-native-go') };

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function bench(script: string, args: string[], timeout = 60_000): Doc {
  const out = execFileSync(process.execPath, [script, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SABRE_BENCH_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'], timeout,
  });
  return JSON.parse(out) as Doc;
}

function expectStats(s: Doc | null | undefined, runs: number): void {
  expect(s).toBeTruthy();
  expect(s!.runs).toHaveLength(runs);
  expect(s!.min).toBeLessThanOrEqual(s!.median);
  expect(s!.median).toBeLessThanOrEqual(s!.max);
  expect(s!.min).toBeGreaterThan(0);
}

beforeAll(() => {
  const r = spawnSync('bash', [join(ROOT, 'scripts/build-native.sh')], { encoding: 'utf8' });
  if (r.status !== 0 && (r.status !== 2 || process.env.CI === 'true')) throw new Error(`build-native.sh exited ${r.status}: ${r.stderr}`);
  for (const impl of ['rust', 'go'] as const) {
    if (r.stderr.includes(`built native-bench/${impl === 'rust' ? 'rust/target/release/sabre-native-rust' : 'go/bin/sabre-native-go'}`)) native[impl] = BIN[impl];
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sabre bench', () => {
  it('--help and -h print every scenario and exit 0, also through sabre bench', () => {
    for (const args of [[BENCH, '--help'], [BENCH, '-h'], [join(ROOT, 'bin/sabre.js'), 'bench', '--help']]) {
      const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(0);
      for (const name of ['ring-1p1c', 'partitions-sweep', 'keys', 'record-size', 'tuning']) expect(r.stdout).toContain(`  ${name} `);
    }
  });

  it('ships in the package: npm pack holds dist/bench with the runner and the modules it starts', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    for (const f of ['dist/bench/sabre-bench.js', 'dist/bench/tuning-run.js', 'dist/bench/ring/ring-worker.js', 'dist/bench/baselines/postmessage-worker.js']) {
      expect(files.has(f), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const s of ['keys', 'record-size', 'tuning']) expect(pkg.scripts[`bench:${s}`]).toMatch(new RegExp(`sabre-bench\\.js ${s}$`));
  });
});

describe('sabre bench --smoke', () => {
  it('ring-1p1c: every frame of every batch size arrives, checksum intact', () => {
    const d = bench(BENCH, ['ring-1p1c', '--smoke', '--frames', '50000']);
    expect(d.scenario).toBe('ring-1p1c');
    expect(d.machine.cores).toBeGreaterThan(0);
    expect(d.batches.map((b: Doc) => b.batch)).toEqual([1, 4, 16, 64, 256, 1024]);
    for (const b of d.batches) {
      expect(b.framesSeen).toBe(50_000);
      expect(b.checksumOk).toBe(true);
      expectStats(b.recordsPerSec, 1);
    }
  });

  it('ring-ping-pong: every ping echoed, percentiles ordered', () => {
    const d = bench(BENCH, ['ring-ping-pong', '--smoke']);
    expect(d.echoed).toEqual([d.trips]);
    const r = d.roundTripUs;
    expect(r.p50.median).toBeGreaterThan(0);
    expect(r.p50.median).toBeLessThanOrEqual(r.p99.median);
    expect(r.p99.median).toBeLessThanOrEqual(r.p999.median);
    expect(r.p999.median).toBeLessThanOrEqual(r.max.median);
  });

  it('partitions-sweep: every record processed, the same windows as every baseline, ratios and spread', () => {
    const d = bench(BENCH, ['partitions-sweep', '--smoke']);
    expect(d.rows.length).toBe(6); // core and heavy × P ∈ {1, 4, 64} × W = 1
    const coreWindows = new Set<number>();
    for (const r of d.rows) {
      expect(r.recordsProcessed).toBe(r.count);
      expectStats(r.recordsPerSec, 1);
      for (const stage of ['queue', 'process']) for (const f of ['p50', 'p99', 'p999', 'max']) expect(Number.isFinite(r.latencyUs[stage][f])).toBe(true);
      if (r.job === 'core') coreWindows.add(r.results);
    }
    expect(coreWindows.size).toBe(1); // the window results do not depend on P
    const names = d.baselines.map((b: Doc) => b.name);
    expect(names).toEqual(expect.arrayContaining(['single-thread', 'postmessage-w1', 'rust', 'go']));
    for (const b of d.baselines) {
      if (b.skipped) {
        expect(process.env.CI).not.toBe('true');
        continue;
      }
      expectStats(b.recordsPerSec, 1);
      expect(b.windowsFired).toBe([...coreWindows][0]);
      expect(d.ratios[b.name]).toBeGreaterThan(0);
    }
    expect(d.spreadAcrossPartitions).toHaveLength(2);
  });

  it('latency-under-load: offered rates at 10/50/90 % of the measured maximum, every record processed', () => {
    const d = bench(BENCH, ['latency-under-load', '--smoke']);
    expectStats(d.maxThroughput.recordsPerSec, 1);
    expect(d.loads.map((l: Doc) => l.fraction)).toEqual([0.1, 0.5, 0.9]);
    for (const t of ['main', 'worker']) expect(Number.isFinite(d.machineJitter[t].floorP999Us.median)).toBe(true);
    for (const l of d.loads) {
      expect(l.rate).toBe(Math.round(l.fraction * d.maxThroughput.recordsPerSec.median));
      expect(l.recordsIn[0]).toBeGreaterThan(0);
      expect(l.recordsProcessed).toEqual(l.recordsIn);
      for (const stage of ['queue', 'process', 'emit']) {
        const s = l.latencyUs[stage];
        expect(s.p50.median).toBeLessThanOrEqual(s.p99.median);
        expect(s.p99.median).toBeLessThanOrEqual(s.max.median);
      }
      // Steady state (after the warm-up mark): a part of the run, so never worse at its max than the whole run.
      for (const stage of ['queue', 'process']) {
        const s = l.steadyLatencyUs[stage];
        expect(Number.isFinite(s.p50.median)).toBe(true);
        expect(s.p50.median).toBeLessThanOrEqual(s.p99.median);
        expect(s.max.median).toBeLessThanOrEqual(l.latencyUs[stage].max.median);
      }
    }
  });

  it('keys: throughput and bytes per key-window for each key count', () => {
    const d = bench(BENCH, ['keys', '--smoke']);
    expect(d.rows.map((r: Doc) => r.keys)).toEqual([1_000, 100_000]);
    for (const r of d.rows) {
      expect(r.recordsIn).toEqual([d.count]);
      expect(r.recordsProcessed).toEqual([d.count]);
      expectStats(r.recordsPerSec, 1);
      // Every key has at least one open window at some point: the workers' own peak count, not a sampler's.
      expect(r.peakOpenWindows.median).toBeGreaterThanOrEqual(Math.min(r.keys, d.count) * 0.5);
      expect(r.stateBytesPerKeyWindow.median).toBeGreaterThan(0);
    }
  });

  it('record-size: generator keys padded to each size, every record processed, memory per key-window', () => {
    const d = bench(BENCH, ['record-size', '--smoke']);
    expect(d.source).toMatch(/^generator/);
    expect(d.rows.map((r: Doc) => r.keyBytes)).toEqual([32, 1024]);
    for (const r of d.rows) {
      expect(r.recordsIn).toEqual([d.count]);
      expect(r.recordsProcessed).toEqual([d.count]);
      expectStats(r.recordsPerSec, 1);
      expect(r.keyMBPerSec.median).toBeCloseTo((r.recordsPerSec.median * r.keyBytes) / 1e6, 6);
      // The workers' own counts: every key had an open window, state and heap grew with them.
      expect(r.peakOpenWindows.median).toBeGreaterThanOrEqual(Math.min(d.keys, d.count) * 0.5);
      expectStats(r.stateBytesPerKeyWindow, 1);
      expectStats(r.workerBytesPerKeyWindow, 1);
      expectStats(r.workerHeapGrowthBytes, 1);
      expect(Number.isFinite(r.rssBytesPerKeyWindow.median)).toBe(true);
    }
    // Padding changes the keys' length, not the job: the same windows fire at every size.
    expect(new Set(d.rows.map((r: Doc) => r.results[0])).size).toBe(1);
    // The key table holds every key's bytes: longer keys, more state per open (key, window).
    expect(d.rows[1].stateBytesPerKeyWindow.median).toBeGreaterThan(d.rows[0].stateBytesPerKeyWindow.median);
  });

  it('tuning: each configuration in its own process, throughput, latency and GC pause histograms per thread', () => {
    const d = bench(BENCH, ['tuning', '--smoke'], 170_000);
    expect(d.rows.map((r: Doc) => r.name)).toEqual(
      ['V8 default semi-space', 'semi-space 1 MB', 'main semi-space 1 MB', 'worker young generation 3 MB', 'ring 256KiB', 'max-batch 16']);
    for (const r of d.rows) {
      expectStats(r.recordsPerSec, 1);
      expect(r.unthrottled.recordsIn).toEqual([d.count]);
      expect(r.unthrottled.recordsProcessed).toEqual([d.count]);
      expect(r.atRate.recordsIn[0]).toBeGreaterThan(0);
      expect(r.atRate.recordsProcessed).toEqual(r.atRate.recordsIn);
      for (const stage of ['queue', 'process']) for (const f of ['p50', 'p99', 'p999']) expect(Number.isFinite(r.atRate[stage][f].median)).toBe(true);
      expect(r.atRate.gc[0].map((g: Doc) => g.thread)).toEqual(['main', ...r.heapLimitBytes.workers.map((_: number, w: number) => `worker-${w}`)]);
      for (const g of r.atRate.gc[0]) expect(g.pauseBuckets).toHaveLength(d.pauseBucketsMs.length);
    }
    // Each thread got its own young generation: V8's heap_size_limit is old + young generation maximum.
    const lim = (name: string): { main: number; workers: number[] } => d.rows.find((r: Doc) => r.name === name).heapLimitBytes;
    const dflt = lim('V8 default semi-space');
    const both = lim('semi-space 1 MB');
    const mainOnly = lim('main semi-space 1 MB');
    const workersOnly = lim('worker young generation 3 MB');
    expect(both.main).toBeLessThan(dflt.main);
    both.workers.forEach((b, w) => expect(b).toBeLessThan(dflt.workers[w]!));
    expect(mainOnly).toEqual({ main: both.main, workers: dflt.workers });
    expect(workersOnly).toEqual({ main: dflt.main, workers: both.workers });
    expect(lim('ring 256KiB')).toEqual(dflt);
  }, 180_000);

  it('bench:metrics: metrics on and off, ratio of medians', () => {
    const d = bench(join(ROOT, 'dist/bench/metrics.js'), ['--count', '100000', '--repeat', '1']);
    expectStats(d.metricsOnRecordsPerSec, 1);
    expectStats(d.metricsOffRecordsPerSec, 1);
    expect(d.ratio).toBeCloseTo(d.metricsOnRecordsPerSec.median / d.metricsOffRecordsPerSec.median, 9);
  });

  it('appends one JSON document per run to <scenario>-<date>.json', () => {
    const files = readdirSync(dir).sort();
    expect(files.map((f) => f.replace(/-\d{4}-\d{2}-\d{2}\.json$/, ''))).toEqual(
      ['keys', 'latency-under-load', 'metrics', 'partitions-sweep', 'record-size', 'ring-1p1c', 'ring-ping-pong', 'tuning']);
    for (const f of files) {
      const lines = readFileSync(join(dir, f), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!).scenario).toBe(f.replace(/-\d{4}-\d{2}-\d{2}\.json$/, ''));
    }
  });
});

describe('native references agree with Sabre', () => {
  const job = { count: 40_000, keys: 300, seed: 7 };
  let sabreLines: string[] = [];

  beforeAll(() => {
    const out = join(dir, 'sabre-windows.ndjson');
    execFileSync(process.execPath, [join(ROOT, 'bin/sabre.js'), 'run', '--source', 'generator', '--count', String(job.count), '--keys', String(job.keys),
      '--seed', String(job.seed), '--window', 'tumbling:1s', '--out-of-orderness', '200ms', '--partitions', '1', '--workers', '1',
      '--sink', `file:${out}`, '--progress', '0', '--http-port', '0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    sabreLines = readFileSync(out, 'utf8').trim().split('\n').sort();
  }, 90_000);

  for (const impl of ['rust', 'go'] as const) {
    it(`${impl}: the same sorted NDJSON window lines as Sabre's file sink`, (ctx) => {
      if (!native[impl]) {
        expect(process.env.CI).not.toBe('true');
        ctx.skip();
      }
      const out = join(dir, `${impl}-windows.ndjson`);
      execFileSync(native[impl]!, ['--count', String(job.count), '--keys', String(job.keys), '--seed', String(job.seed), '--disorder', '100',
        '--events-per-ms', '1000', '--window-ms', '1000', '--out-of-orderness', '200', '--mode', 'results', '--output', out], { encoding: 'utf8' });
      const lines = readFileSync(out, 'utf8').trim().split('\n').sort();
      expect(sabreLines.length).toBeGreaterThan(100);
      expect(lines).toEqual(sabreLines);
    });
  }
});
