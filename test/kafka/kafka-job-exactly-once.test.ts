// A job module with checkpoints writing to Kafka: its default sink
// (--sink kafka:TOPIC, transactional) and its named sink (toKafka(TOPIC2), a
// lane of the same transactions) through SIGKILLs and restarts. Read
// read_committed, both topics hold exactly the uninterrupted run's outputs,
// keyed by the job's key field. The job and its input: test/helpers/card-job.ts.
import { beforeAll, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listCheckpoints } from '../../dist/src/checkpoint/manifest.js';
import { tmpDir } from '../helpers/engine-run.js';
import { committedLines, runSabre, seeded, startSabre, waitFor } from '../helpers/sabre-process.js';
import { cardTxns, writeCardJob } from '../helpers/card-job.js';
import { brokers, describeKafka, readIsolated, unique, type TopicMessage } from '../helpers/kafka-env.js';

// Fixed P and W: the process function's timers replay only under the same partitioning (see job-kill9.test.ts).
const COMMON = ['--http-port', '0', '--progress', '0', '--partitions', '4', '--workers', '2', '--dead-letter', 'null'];
const KILLS = 4;

const sortedLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).sort();

/** Every message's value as text, sorted; and every message must be keyed by its output's card. */
function valuesKeyedByCard(messages: TopicMessage[]): string[] {
  const values = messages.map((m) => m.value.toString());
  expect(messages.filter((m) => m.key !== (JSON.parse(m.value.toString()) as { card: string }).card)).toEqual([]);
  return values.sort();
}

/** Run `args` to the end through `kills` SIGKILLs, each once the run wrote one or two checkpoints of its own; returns the restores seen. */
async function killAndRestart(args: string[], cp: string, kills: number, rnd: () => number): Promise<number> {
  let killed = 0;
  let restores = 0;
  for (;;) {
    const run = startSabre(args);
    if (killed < kills) {
      // At a moment within the next interval or two (between a manifest and its commit, or after).
      const before = Math.max(0, ...listCheckpoints(cp));
      const want = 1 + Math.floor(rnd() * 2);
      await waitFor(`${want} checkpoint(s)`, () => listCheckpoints(cp).filter((id) => id > before).length >= want, run, 60_000)
        .catch(() => {}); // a run that finished first is checked below
      await new Promise((r) => setTimeout(r, rnd() * 600));
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    }
    const e = await run.exit;
    expect(e.stderr).not.toMatch(/ERR_|ERROR kafka:/);
    if (/restored from checkpoint/.test(e.stderr)) restores++;
    if (e.signal === 'SIGKILL') {
      killed++;
      continue;
    }
    expect(e.code, e.stderr).toBe(0);
    expect(killed).toBe(kills);
    return restores;
  }
}

describeKafka('job module → Kafka with checkpoints: exactly-once through SIGKILLs', () => {
  let dir: string;
  let input: string;
  let refAlerts: string[];
  let refFeatures: string[];

  beforeAll(async () => {
    dir = tmpDir();
    input = join(dir, 'txns.ndjson');
    writeFileSync(input, cardTxns(300_000));
    const refJob = join(dir, 'ref-job.mjs');
    writeCardJob(refJob, input, `toFile(${JSON.stringify(join(dir, 'ref-features.ndjson'))})`);
    const ref = await runSabre(['run', '--job', refJob, '--sink', `file:${join(dir, 'ref-alerts.ndjson')}`, ...COMMON]);
    expect(ref.code, ref.stderr).toBe(0);
    refAlerts = sortedLines(join(dir, 'ref-alerts.ndjson'));
    refFeatures = sortedLines(join(dir, 'ref-features.ndjson'));
    expect(refAlerts.length).toBeGreaterThan(2000);
  }, 120_000);

  it(`${KILLS} SIGKILLs and restarts: read_committed, the default and the named sink's topics equal an uninterrupted run`, async () => {
    const alerts = unique('job-alerts');
    const features = unique('job-features');
    const job = join(dir, 'job.mjs');
    writeCardJob(job, input, `toKafka(${JSON.stringify(features)})`);
    const cp = join(dir, 'cp');
    const restores = await killAndRestart(['run', '--job', job, '--sink', `kafka:${alerts}`, '--brokers', brokers, ...COMMON,
      '--checkpoint-dir', cp, '--checkpoint-interval', '300ms'], cp, KILLS, seeded(4242));
    expect(restores).toBeGreaterThanOrEqual(KILLS - 1);
    expect(valuesKeyedByCard(await readIsolated(alerts, 'read_committed'))).toEqual(refAlerts);
    expect(valuesKeyedByCard(await readIsolated(features, 'read_committed'))).toEqual(refFeatures);
  }, 300_000);

  it('the default sink a file, the named sink Kafka: the named sink owns the transactions; both exact after SIGKILLs', async () => {
    const features = unique('job-features-only');
    const job = join(dir, 'job-file.mjs');
    writeCardJob(job, input, `toKafka(${JSON.stringify(features)})`);
    const cp = join(dir, 'cp-file');
    const out = join(dir, 'alerts.ndjson');
    const restores = await killAndRestart(['run', '--job', job, '--sink', `file:${out}`, '--brokers', brokers, ...COMMON,
      '--checkpoint-dir', cp, '--checkpoint-interval', '300ms'], cp, 2, seeded(99));
    expect(restores).toBeGreaterThanOrEqual(1);
    expect(committedLines(out)).toEqual(refAlerts);
    expect(valuesKeyedByCard(await readIsolated(features, 'read_committed'))).toEqual(refFeatures);
  }, 300_000);
});
