// Engine.rewind(): while the engine runs, every partition's state is replaced
// in-band (by a checkpoint's snapshot files, or emptied), and nothing the
// undone work produced reaches a sink. The proof is an equality: an engine that
// did other work X, rewound to checkpoint S and then read R2 writes exactly what
// an engine restored from S at start writes for R2. Engines run from dist/ (build first).
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createEngine, type Engine, type EngineOptions } from '../../../dist/src/index.js';
import { loadJob } from '../../../dist/src/engine/load-job.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { writeCardJob } from '../../helpers/card-job.js';
import { committedLines, completeCheckpoints, seeded } from '../../helpers/sabre-process.js';

const T0 = 1_700_000_000_000;
/** P=4 over W=2, sliding windows, out-of-order input with lateness: state, watermarks and late records all matter. */
const JOB: EngineOptions = {
  source: 'api', partitions: 4, workers: 2, window: 'sliding:1s,250ms', outOfOrderness: '200ms', allowedLateness: '300ms',
  progress: 0, httpPort: 0, deadLetter: 'null',
  // No watermark from idleness: what fires depends on the records alone, however long a test waits.
  idleTimeout: '1h',
};

interface Rec { key: string; ts: number; value: number }

/** Out of order: most records up to 300 ms older than the clock, one in 20 up to 2.5 s (later than windows + lateness allow). */
function disorder(rnd: () => number): number {
  return Math.floor(rnd() < 0.05 ? rnd() * 2500 : rnd() * 300);
}

/** `n` records over [from, from + span) ms of event time. */
function records(seed: number, n: number, from: number, span: number, keys: number): Rec[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({
    key: `k${Math.floor(rnd() * keys)}`, ts: T0 + from + Math.floor((i * span) / n) - disorder(rnd), value: Math.floor(rnd() * 1000),
  }));
}

const R1 = records(1, 3000, 0, 4000, 60);
/** Work to undo: other keys too, and far ahead in event time (its watermark would make most of R2 late). */
const X = records(2, 1500, 2000, 8000, 90);
const R2 = records(3, 3000, 3500, 4000, 60);
const R3 = records(4, 1000, 6000, 2000, 40);

interface Output { results: string[]; late: string[]; named: string[] }

/** An engine writing committed part files (results, a job's named sink) and late lines under a fresh dir. */
async function started(opts: EngineOptions, named = false): Promise<{ e: Engine; dir: string; cp: string; output: () => Output }> {
  const dir = tmpDir();
  const cp = join(dir, 'cp');
  const e = createEngine({
    ...JOB, sink: `file:${join(dir, 'out.ndjson')}`, lateOutput: `file:${join(dir, 'late.ndjson')}`, checkpointDir: cp,
    ...(named ? { sinks: `features=file:${join(dir, 'features.ndjson')}` } : {}), ...opts,
  });
  await e.start();
  const late = (): string[] => (existsSync(join(dir, 'late.ndjson')) ? readFileSync(join(dir, 'late.ndjson'), 'utf8').split('\n').filter(Boolean).sort() : []);
  return {
    e, dir, cp,
    output: () => ({ results: committedLines(join(dir, 'out.ndjson')), late: late(), named: named ? committedLines(join(dir, 'features.ndjson')) : [] }),
  };
}

async function writeAll(e: Engine, recs: readonly unknown[]): Promise<void> {
  for (const r of recs) await e.write(r);
}

/**
 * Written on one turn of the event loop, with the rewind asked for on the same turn: the
 * out-drain cannot have read anything of it, so everything it fires must be dropped.
 */
function writeNow(e: Engine, recs: readonly unknown[]): void {
  for (const r of recs) expect(e.tryWrite(r)).toBe(true);
}

/** The snapshot files of a complete checkpoint (the newest in `cp`). */
function snapshotFiles(cp: string): string[] {
  const [m] = completeCheckpoints(cp);
  const chk = join(cp, `chk-${String(m!.id).padStart(8, '0')}`);
  return m!.snapshots.map((s) => join(chk, s.file));
}

/** Engine A: R1, then a savepoint (stop with a checkpoint: its windows stay open in it). Returns its snapshot files. */
async function savepoint(opts: EngineOptions, input: readonly unknown[], named = false): Promise<string[]> {
  const a = await started(opts, named);
  await writeAll(a.e, input);
  await a.e.stop({ checkpoint: true });
  const files = snapshotFiles(a.cp);
  expect(files.length).toBeGreaterThan(0);
  return files;
}

/** Engine C: restored from `files`' checkpoint at start, then `input`. */
async function restoredRun(opts: EngineOptions, files: string[], input: readonly unknown[], named = false): Promise<Output> {
  const c = await started(files.length > 0 ? { ...opts, restore: resolve(files[0]!, '..') } : opts, named);
  await writeAll(c.e, input);
  await c.e.stop();
  return c.output();
}

describe('Engine.rewind()', () => {
  it('(a) to a savepoint: what follows equals a run restored from it; the undone work leaves nothing', async () => {
    const files = await savepoint({}, R1);
    const b = await started({});
    writeNow(b.e, X);
    await b.e.rewind(files, 1);
    await writeAll(b.e, R2);
    const summary = await b.e.stop();
    const got = b.output();
    const want = await restoredRun({}, files, R2);
    expect(want.results.length).toBeGreaterThan(500);
    expect(want.late.length).toBeGreaterThan(10);
    expect(got.results).toEqual(want.results);
    expect(got.late).toEqual(want.late);
    expect(b.e.rewindStats.rewinds).toBe(1);
    expect(b.e.rewindStats.lastRewindMs).toBeGreaterThan(0);
    // X fired windows (its watermark runs far ahead of its own earliest windows); all were dropped.
    expect(b.e.rewindStats.rewoundResults).toBeGreaterThan(0);
    expect(summary.recordsIn).toBe(X.length + R2.length);
    // The workers' totals count what the chains before the rewind fired too (dropped since, or never published).
    const fired = summary.workers.reduce((n, w) => n + w.results, 0);
    expect(fired).toBeGreaterThanOrEqual(got.results.length + b.e.rewindStats.rewoundResults);
    // The rewind's file list is gone with it.
    expect(readdirSync(b.cp).filter((f) => f.startsWith('rewind-'))).toEqual([]);
  }, 60_000);

  it('(b) to no files: what follows equals a fresh run of it alone (no state, no watermark)', async () => {
    const b = await started({});
    writeNow(b.e, [...R1, ...X]);
    await b.e.rewind([], 1);
    await writeAll(b.e, R2);
    await b.e.stop();
    const want = await restoredRun({}, [], R2);
    expect(want.results.length).toBeGreaterThan(500);
    expect(b.output()).toEqual(want);
  }, 60_000);

  it('(c) a job (window to a named sink, process function with event-time timers) rewinds alike', async () => {
    const dir = tmpDir();
    const path = join(dir, 'rewind-job.mjs');
    // Features to the named sink, alerts from event-time timers to the default one (the engine's options name both files).
    writeCardJob(path, join(dir, 'unused.ndjson'), `toFile(${JSON.stringify(join(dir, 'unused-features.ndjson'))})`,
      { window: { size: '1s', slide: '250ms' }, allowedLateness: '300ms' });
    const job = await loadJob(path);
    const opts: EngineOptions = { job, window: undefined, allowedLateness: undefined, outOfOrderness: undefined };
    const txns = (seed: number, n: number, from: number, span: number, cards: number): unknown[] => {
      const rnd = seeded(seed);
      return Array.from({ length: n }, (_, i) => {
        const r = rnd();
        return {
          card: `c${Math.floor(rnd() * cards)}`, merchant: `m${i % 30}`, amount: Math.floor(rnd() * 50_000) / 100,
          status: r < 0.6 ? 'approved' : 'declined',
          at: T0 + from + Math.floor((i * span) / n) - disorder(rnd),
        };
      });
    };
    const j1 = txns(5, 3000, 0, 4000, 50);
    const jx = txns(6, 1500, 2000, 8000, 70);
    const j2 = txns(7, 3000, 3500, 4000, 50);
    const files = await savepoint(opts, j1, true);
    const b = await started(opts, true);
    writeNow(b.e, jx);
    await b.e.rewind(files, 1);
    await writeAll(b.e, j2);
    await b.e.stop();
    const got = b.output();
    const want = await restoredRun(opts, files, j2, true);
    expect(want.results.length).toBeGreaterThan(50); // alerts (timers restored from the savepoint fire too)
    expect(want.named.length).toBeGreaterThan(500); // window features
    expect(want.late.length).toBeGreaterThan(10);
    expect(got).toEqual(want);
    expect(b.e.rewindStats.rewoundResults).toBeGreaterThan(0);
  }, 90_000);

  it('(d) while a checkpoint is in flight, and right after one: nothing hangs, later checkpoints complete', async () => {
    const files = await savepoint({}, R1);
    // Slow workers keep a checkpoint's barriers queued behind the records for a while.
    const b = await started({ checkpointInterval: '30ms', slowMicrosPerRecord: 500 });
    const seen: string[] = [];
    b.e.onResult((r) => seen.push(JSON.stringify(r)));
    await writeAll(b.e, X);
    const inFlight = await until(() => inFlightCheckpoint(b.cp));
    const epoch = b.e.nextCheckpointId!;
    expect(epoch).toBeGreaterThan(inFlight);
    const from = seen.length;
    await b.e.rewind(files, epoch);
    await writeAll(b.e, R2);
    // A checkpoint begun after the last record of R2 completes: every result of R2 has been read by then.
    await until(() => completeCheckpoints(b.cp).some((m) => m.id >= epoch));
    const done = completeCheckpoints(b.cp)[0]!.id;
    await until(() => completeCheckpoints(b.cp)[0]!.id > done);
    const afterFirst = seen.slice(from);

    // Right after a checkpoint completed: rewind to nothing, then R3.
    const from2 = seen.length;
    await b.e.rewind([], b.e.nextCheckpointId!);
    await writeAll(b.e, R3);
    const before = completeCheckpoints(b.cp)[0]!.id;
    await until(() => completeCheckpoints(b.cp)[0]!.id > before);
    await b.e.stop();
    const afterSecond = seen.slice(from2);
    expect(b.e.rewindStats.rewinds).toBe(2);

    /** What `input` fires in an engine that starts with `restore` (a savepoint at stop: nothing fired by END), or everything with `end`. */
    const reference = async (opts: EngineOptions, input: Rec[], end: boolean): Promise<string[]> => {
      const c = await started(opts);
      const out: string[] = [];
      c.e.onResult((r) => out.push(JSON.stringify(r)));
      await writeAll(c.e, input);
      await c.e.stop(end ? {} : { checkpoint: true });
      return out.sort();
    };
    const wantR2 = await reference({ restore: resolve(files[0]!, '..') }, R2, false);
    expect(wantR2.length).toBeGreaterThan(500);
    expect(afterFirst.sort()).toEqual(wantR2);
    // After the second: a fresh run of R3 (END fires at stop in both).
    expect(afterSecond.sort()).toEqual(await reference({}, R3, true));
  }, 90_000);

  it('(e) two rewinds in a row; a second one while the first is under way is refused', async () => {
    const files = await savepoint({}, R1);
    const b = await started({});
    writeNow(b.e, X);
    const first = b.e.rewind([], 1);
    await expect(b.e.rewind(files, 1)).rejects.toMatchObject({ code: 'ERR_ENGINE_STATE' });
    await first;
    await b.e.rewind(files, 1);
    writeNow(b.e, X.slice(0, 500));
    await b.e.rewind([], 1);
    await b.e.rewind(files, 1);
    await writeAll(b.e, R2);
    await b.e.stop();
    expect(b.e.rewindStats.rewinds).toBe(4);
    const want = await restoredRun({}, files, R2);
    expect(b.output()).toEqual(want);
  }, 60_000);

  it('(f) without --checkpoint-dir: the file list goes to a temporary dir, removed at stop; a missing file is refused with nothing changed', async () => {
    const files = await savepoint({}, R1);
    const run = async (body: (e: Engine) => Promise<void>): Promise<string[]> => {
      const dir = tmpDir();
      const e = createEngine({ ...JOB, sink: `file:${join(dir, 'out.ndjson')}`, lateOutput: 'null' });
      await e.start();
      await body(e);
      await e.stop();
      return readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort();
    };
    const ours = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`sabre-rewind-${process.pid}-`));
    const before = ours();
    const got = await run(async (e) => {
      await expect(e.rewind([join(tmpdir(), 'no-such-dir', 'worker-0.snap')], 1)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
      expect(e.rewindStats.rewinds).toBe(0);
      writeNow(e, X);
      await e.rewind(files, 1);
      expect(ours().length).toBe(before.length + 1);
      await writeAll(e, R2);
    });
    expect(ours()).toEqual(before);
    const want = await run(async (e) => writeAll(e, R2).then(() => undefined));
    expect(want.length).toBeGreaterThan(500);
    // The restored state's windows: a fresh run of R2 alone differs, the restored one is what the rewound engine wrote.
    expect(got).not.toEqual(want);
    expect(got).toEqual((await restoredRun({}, files, R2)).results);
  }, 60_000);

  it('(g) a snapshot file the workers cannot read fails the run, and the rewind with it (nothing hangs)', async () => {
    const dir = tmpDir();
    const bad = join(dir, 'worker-0.snap');
    writeFileSync(bad, 'not a snapshot');
    const e = createEngine({ ...JOB, sink: 'null', lateOutput: 'null' });
    await e.start();
    writeNow(e, X);
    await expect(e.rewind([bad], 1)).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', cause: { code: 'ERR_CHECKPOINT_CORRUPT' } });
    await expect(e.done).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
  }, 60_000);
});

/** The id of a checkpoint begun (its directory is there) but not complete (no manifest), if any. */
function inFlightCheckpoint(cp: string): number | undefined {
  if (!existsSync(cp)) return undefined;
  for (const f of readdirSync(cp)) {
    const m = /^chk-(\d+)$/.exec(f);
    if (m && !existsSync(join(cp, f, 'manifest.json'))) return Number(m[1]);
  }
  return undefined;
}

async function until<T>(f: () => T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}
