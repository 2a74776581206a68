import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type EngineOptions } from '../../dist/src/index.js';
import { listCheckpoints } from '../../dist/src/checkpoint/manifest.js';
import { createAdmin, createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { murmur2, toPositive } from '../../dist/src/partition/murmur2.js';
import { tmpDir } from '../helpers/engine-run.js';
import { runSabre, seeded, startSabre, waitFor } from '../helpers/sabre-process.js';
import {
  NO_IDLE, brokers, describeKafka, groupOffsets, kafkaSourceOf, produceTrades, readIsolated, settled, sum, unique, until,
} from '../helpers/kafka-env.js';

// --changelog: the job's state lives in Kafka. Every restart here runs with an EMPTY checkpoint directory
// (another machine), so each one must rebuild the committed checkpoint from the changelog topic; the output
// read with read_committed must still be exactly one uninterrupted run's. P = 8 = the topic's partitions.
const SPEC = { count: 60_000, keys: 200, seed: 23, disorder: 100, eventsPerMs: 5 };
const JOB = {
  window: 'tumbling:250ms', agg: 'count,sum,max', outOfOrderness: '150ms', idleTimeout: NO_IDLE, partitions: 8, workers: 2,
  lateOutput: 'null', deadLetter: 'null',
};
const KILLS = 4;
const flags = (o: Record<string, string | number>): string[] =>
  Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(v)]);

async function runToEnd(topic: string, options: EngineOptions, onStarted: (src: ReturnType<typeof kafkaSourceOf>) => Promise<void> = async () => {}) {
  const engine = createEngine({ source: `kafka:${topic}`, brokers, ...JOB, progress: 0, httpPort: 0, ...options });
  await engine.start();
  const src = kafkaSourceOf(engine);
  await onStarted(src);
  const { ends } = await groupOffsets(String(options.group), topic);
  await until(() => {
    const pos = new Map(src.positions().map((p) => [p.partition, Number(p.offset)]));
    return [...ends].every(([p, end]) => (pos.get(p) ?? 0) >= end);
  }, 'the source to reach the end of the topic', 90_000, 50);
  return engine.stop();
}

/** Records of `topic` the group committed (in the transactions that commit results and state). */
async function committedOf(group: string, topic: string): Promise<number> {
  const { committed } = await groupOffsets(group, topic);
  return sum(new Map([...committed].map(([p, o]) => [p, Math.max(0, o)])));
}

describeKafka('--changelog: the state follows the job to another machine', () => {
  it(`${KILLS} SIGKILLs, each restart on an empty checkpoint dir: read_committed output equals an uninterrupted run's`, async () => {
    const topic = unique('cl-in');
    const out = unique('cl-out');
    const group = unique('cl');
    const dir = tmpDir();
    const sink = `kafka:${out}`;
    let produced = false;
    const producing = produceTrades(topic, SPEC, { perSend: 1000, pauseMs: 250 }).then(() => { produced = true; });
    await until(async () => (await groupOffsets(group, topic).catch(() => undefined)) !== undefined, 'the input topic', 30_000, 100);

    const rnd = seeded(4242);
    let marker = 0;
    let rebuilt = 0;
    for (let run = 0; run < KILLS; run++) {
      const cp = join(dir, `machine-${run}`); // a new, empty checkpoint dir each time
      const proc = startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, ...flags(JOB),
        '--sink', sink, '--changelog', 'auto', '--progress', '0', '--http-port', '0', '--checkpoint-dir', cp, '--checkpoint-interval', '300ms']);
      const want = 2 + Math.floor(rnd() * 3);
      await waitFor(`run ${run} to write ${want} checkpoints`, () => listCheckpoints(cp).length >= want, proc, 60_000);
      // Killed once it committed a checkpoint of its own (listCheckpoints counts the one it rebuilt), at a random moment after.
      // (Or, once every record is produced, to have committed them all: a run that starts then has nothing left to commit.)
      await until(async () => {
        const { committed, ends } = await groupOffsets(group, topic);
        const now = sum(new Map([...committed].map(([p, o]) => [p, Math.max(0, o)])));
        return now > marker || (produced && now === sum(ends));
      }, `run ${run} to commit`, 60_000, 50);
      await new Promise((r) => setTimeout(r, rnd() * 400));
      proc.child.kill('SIGKILL');
      const exit = await proc.exit;
      expect(exit.signal, exit.stderr).toBe('SIGKILL');
      expect(exit.stderr).not.toMatch(/ERR_/);
      if (run > 0) {
        // It found nothing on its disk and rebuilt the committed checkpoint from the topic.
        expect(exit.stderr).toMatch(new RegExp(`member of "${group}": assignment 1, partitions \\[0,1,2,3,4,5,6,7\\] restored from ${group}-changelog: 8 with state`));
        rebuilt++;
      }
      const now = await committedOf(group, topic);
      expect(now).toBeGreaterThanOrEqual(marker); // committed offsets never go back
      marker = now;
    }
    await producing;

    // The last process, on yet another empty dir, reads to the end and ENDs.
    let restored = 0;
    await runToEnd(topic, { group, sink, changelog: 'auto', checkpointDir: join(dir, 'machine-final'), checkpointInterval: '300ms' }, async (src) => {
      await until(() => (src.member?.totals.restores ?? 0) > 0, 'the first assignment to be restored', 60_000, 50);
      restored = src.member!.recent[0]!.withState;
    });
    expect(restored).toBe(8);
    expect(rebuilt).toBe(KILLS - 1);

    const refPath = join(dir, 'ref.ndjson');
    await runToEnd(topic, { group: `${group}-ref`, sink: `file:${refPath}` });
    const reference = readFileSync(refPath, 'utf8').split('\n').filter(Boolean).sort();
    expect(reference.length).toBeGreaterThan(1000);
    // The killed members' last transactions (each had its own transactional id) are aborted by the broker after their timeout.
    await settled(out);
    const got = (await readIsolated(out, 'read_committed')).map((m) => m.value.toString()).sort();
    expect(got.length).toBe(reference.length);
    expect(got).toEqual(reference);
  }, 400_000);

  it('a changelog topic deleted, or a doctored one, fails the restart clearly instead of starting from empty state', async () => {
    const topic = unique('cl-bad-in');
    const out = unique('cl-bad-out');
    const group = unique('cl-bad');
    const dir = tmpDir();
    await produceTrades(topic, { ...SPEC, count: 5000 });
    const args = (cp: string) => ['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, ...flags(JOB),
      '--sink', `kafka:${out}`, '--changelog', 'auto', '--progress', '0', '--http-port', '0', '--checkpoint-dir', cp, '--checkpoint-interval', '200ms'];
    const first = startSabre(args(join(dir, 'a')));
    await waitFor('a committed checkpoint', () => listCheckpoints(join(dir, 'a')).length >= 2, first, 60_000);
    // A clean stop (its last transaction committed): a SIGKILL would leave one open, which every restart's changelog read
    // waits out (the transaction timeout, 30 s); the kill cases are the test above.
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(0);

    // A doctored head for partition 0, written outside any transaction: visible to read_committed, and not a changelog record.
    const kafka = createKafka(brokers, 'sabre-test-doctor');
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({ topic: `${group}-changelog`, messages: [{ partition: 0, key: '0', value: Buffer.from('not a changelog head') }] });
    await producer.disconnect();
    const corrupt = await runSabre(args(join(dir, 'b')));
    expect(corrupt.code, corrupt.stderr).not.toBe(0);
    expect(corrupt.stderr).toMatch(/ERR_CHANGELOG_CORRUPT/);
    expect(corrupt.stderr).toMatch(/partition 0/);

    const admin = createAdmin(kafka);
    await admin.connect();
    await admin.deleteTopics({ topics: [`${group}-changelog`] });
    await admin.disconnect();
    const missing = await runSabre(args(join(dir, 'c')));
    expect(missing.code, missing.stderr).not.toBe(0);
    expect(missing.stderr).toMatch(/ERR_CHANGELOG_MISSING/);
    expect(missing.stderr).toMatch(/state is lost/);
  }, 180_000);

  it('a record whose key Kafka\'s partitioner would put elsewhere, or that has no key, is dead-lettered with wrong-partition; the rest run on', async () => {
    const topic = unique('cl-misrouted-in');
    const group = unique('cl-misrouted');
    const dir = tmpDir();
    await produceTrades(topic, { ...SPEC, count: 3000 });
    const kafka = createKafka(brokers, 'sabre-test-misrouter');
    const producer = createProducer(kafka);
    await producer.connect();
    const at = 1_700_000_000_500;
    const record = (key: string) => JSON.stringify({ key, ts: at, value: 1 });
    const partitionOf = (k: string) => toPositive(murmur2(Buffer.from(k))) % 8;
    const wrong = ['SYM1', 'SYM2', 'SYM3'].map((k) => ({ key: k, partition: (partitionOf(k) + 1) % 8, value: record(k) }));
    await producer.send({ topic, messages: [...wrong, { key: null as unknown as string, partition: 0, value: record('SYM4') }] });
    await producer.disconnect();
    const deadPath = join(dir, 'dead.ndjson');
    const summary = await runToEnd(topic, {
      group, sink: `kafka:${unique('cl-misrouted-out')}`, changelog: 'auto', checkpointDir: join(dir, 'cp'), deadLetter: `file:${deadPath}`,
    });
    const dead = readFileSync(deadPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason: string; detail: string });
    // The keyless one: its key (from the value) lands where murmur2 says, partition 0 only by chance.
    const expected = 3 + (partitionOf('SYM4') === 0 ? 0 : 1);
    expect(dead.filter((d) => d.reason === 'wrong-partition').length).toBe(expected);
    expect(dead[0]!.detail).toMatch(/belongs to partition \d \(murmur2, as Kafka.s default partitioner\), not to partition \d it was read from/);
    expect(summary.results).toBeGreaterThan(100);
  }, 120_000);
});
