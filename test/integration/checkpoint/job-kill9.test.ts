// kill -9 of a job module with checkpoints: a multi-branch pipeline (like
// the fraud example: a sliding-window aggregate to a named file sink and a
// keyed process function with event-time timers to the default sink) is
// killed at seeded random moments and restarted with --restore latest until
// it finishes; the committed part files of both sinks must equal an
// uninterrupted run's output exactly. Runs the built CLI (build first).
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { committedLines, completeCheckpoints, seeded, startSabre, waitFor, type Running } from '../../helpers/sabre-process.js';
import { cardTxns, writeCardJob } from '../../helpers/card-job.js';

// P and W stay fixed across restarts: a process function's timers fire as the watermark moves, and the
// watermark is per partition, so only the same partitioning replays them at the same points of the input.
const COMMON = ['--http-port', '0', '--progress', '0', '--partitions', '4', '--workers', '2', '--dead-letter', 'null'];
const RECORDS = 1_000_000;

let dir: string;
let input: string;
let refAlerts: string[];
let refFeatures: string[];
/** Wall time of an uninterrupted run from its start line: kill moments scale with it. */
let referenceMs = 1000;

function writeJob(name: string, featuresPath: string): string {
  const path = join(dir, name);
  writeCardJob(path, input, `toFile(${JSON.stringify(featuresPath)})`);
  return path;
}

const sortedLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).sort();

/** `sabre run` printed its start line: restore done, workers looping, the source about to start. */
const started = (run: Running): Promise<void> => waitFor('the start line', () => /partitions=\d+ workers=/.test(run.stderr()), run);

/** Equal sorted line lists; on a difference, the first one (not a diff of a million lines). */
function expectSameLines(got: string[], want: string[], what: string): void {
  const i = got.findIndex((l, k) => l !== want[k]);
  expect({ what, lines: got.length, firstDifference: i < 0 ? undefined : [got[i], want[i]] })
    .toEqual({ what, lines: want.length, firstDifference: got.length === want.length ? undefined : [got[want.length], want[want.length]] });
}

beforeAll(async () => {
  dir = tmpDir();
  input = join(dir, 'txns.ndjson');
  writeFileSync(input, cardTxns(RECORDS));
  const features = join(dir, 'ref-features.ndjson');
  const alerts = join(dir, 'ref-alerts.ndjson');
  const run = startSabre(['run', '--job', writeJob('ref-job.mjs', features), '--sink', `file:${alerts}`, ...COMMON]);
  await started(run);
  const t0 = Date.now();
  const r = await run.exit;
  referenceMs = Date.now() - t0;
  expect(r.code, r.stderr).toBe(0);
  refAlerts = sortedLines(alerts);
  refFeatures = sortedLines(features);
  expect(refAlerts.length).toBeGreaterThan(10_000);
  expect(refFeatures.length).toBeGreaterThan(100_000);
}, 120_000);

describe('job module with checkpoints: kill -9 and restart', () => {
  it('killed at random moments and restored (--restore latest) until done: both sinks\' committed parts equal an uninterrupted run', async () => {
    const rnd = seeded(7);
    let kills = 0;
    let restores = 0;
    for (let round = 1; round <= 2; round++) {
      const features = join(dir, `features-${round}.ndjson`);
      const alerts = join(dir, `alerts-${round}.ndjson`);
      const cp = join(dir, `cp-${round}`);
      const job = writeJob(`job-${round}.mjs`, features);
      const args = ['run', '--job', job, '--sink', `file:${alerts}`, ...COMMON, '--checkpoint-dir', cp, '--checkpoint-interval', '300ms'];
      // Three kills, then a run left to finish; a run that finished before its kill moment ends the round early.
      for (let attempt = 0; ; attempt++) {
        const restore = completeCheckpoints(cp).length > 0 ? ['--restore', 'latest'] : [];
        const run = startSabre([...args, ...restore]);
        await Promise.race([started(run), run.exit]);
        if (attempt < 3) {
          // A seeded moment in the first 15-65% of an uninterrupted run, counted from the start line.
          await new Promise((r) => setTimeout(r, (0.15 + rnd() * 0.5) * referenceMs));
          if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
        }
        const e = await run.exit;
        if (e.stderr.includes('restored from checkpoint')) restores++;
        if (e.signal === 'SIGKILL') {
          kills++;
          continue;
        }
        expect(e.code, e.stderr).toBe(0);
        break;
      }
      expectSameLines(committedLines(alerts), refAlerts, `round ${round}: alerts (default sink)`);
      expectSameLines(committedLines(features), refFeatures, `round ${round}: features (named sink)`);
      // Every part is committed or discarded by now, and the named sink wrote no file in place.
      const left = readdirSync(dir).filter((f) => f.startsWith(`features-${round}.ndjson`) || f.startsWith(`alerts-${round}.ndjson`));
      expect(left.filter((f) => !/\.part-\d+$/.test(f))).toEqual([]);
      expect(existsSync(features)).toBe(false);
    }
    process.stderr.write(`[job kill test] ${kills} kills, ${restores} restores (uninterrupted run ${referenceMs} ms)\n`);
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(restores).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('the shipped fraud example (jobs/card-fraud.ts) on the generator: killed three times, restored, equal to an uninterrupted run', async () => {
    const GEN = ['--count', '300000', '--keys', '2000', '--seed', '11'];
    const run = async (tag: string, extra: string[]): Promise<Running> => startSabre(['run', '--job', 'jobs/card-fraud.ts', ...GEN,
      '--sink', `file:${join(dir, `fraud-alerts-${tag}.ndjson`)}`, '--sinks', `features=file:${join(dir, `fraud-features-${tag}.ndjson`)}`, ...COMMON, ...extra]);
    const ref = await run('ref', []);
    await started(ref);
    const t0 = Date.now();
    const r = await ref.exit;
    const ms = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    const cp = join(dir, 'fraud-cp');
    const args = ['--checkpoint-dir', cp, '--checkpoint-interval', '300ms'];
    const rnd = seeded(23);
    let kills = 0;
    for (let attempt = 0; ; attempt++) {
      const restore = completeCheckpoints(cp).length > 0 ? ['--restore', 'latest'] : [];
      const p = await run('cp', [...args, ...restore]);
      await Promise.race([started(p), p.exit]);
      if (attempt < 3) {
        await new Promise((res) => setTimeout(res, (0.2 + rnd() * 0.5) * ms));
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      }
      const e = await p.exit;
      if (e.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      expect(e.code, e.stderr).toBe(0);
      break;
    }
    const refAlertsFraud = sortedLines(join(dir, 'fraud-alerts-ref.ndjson'));
    expect(refAlertsFraud.length).toBeGreaterThan(0);
    expectSameLines(committedLines(join(dir, 'fraud-alerts-cp.ndjson')), refAlertsFraud, 'fraud alerts');
    expectSameLines(committedLines(join(dir, 'fraud-features-cp.ndjson')), sortedLines(join(dir, 'fraud-features-ref.ndjson')), 'fraud features');
    process.stderr.write(`[fraud kill test] ${kills} kills (uninterrupted run ${ms} ms)\n`);
    expect(kills).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
