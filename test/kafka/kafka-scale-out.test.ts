import { expect, it } from 'vitest';
import { join } from 'node:path';
import { createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { TradeMessages } from '../../dist/src/io/generator/trade-messages.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { murmur2, toPositive } from '../../dist/src/partition/murmur2.js';
import { tmpDir } from '../helpers/engine-run.js';
import { cardTxns, writeCardJob } from '../helpers/card-job.js';
import { seeded, startSabre, type Running } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, createTopic, describeKafka, drained, readIsolated, settled, unique, until } from '../helpers/kafka-env.js';

// Issue 16: a job scaled out over a consumer group of `sabre run` processes (--changelog) gives exactly the output
// of one uninterrupted process, while members join, leave (SIGTERM) and die (SIGKILL) at random moments — some
// during another member's restore. 12 partitions, records produced at a steady rate throughout.
const PARTITIONS = 12;
const SPEC = { kind: 'trades' as const, keys: 600, seed: 77, disorder: 100, eventsPerMs: 4 };
const TOTAL = 150_000;
const JOB = {
  window: 'tumbling:500ms', agg: 'count,sum,min,max', outOfOrderness: '300ms', idleTimeout: NO_IDLE, partitions: PARTITIONS, workers: 1,
  lateOutput: 'null', deadLetter: 'null', checkpointInterval: '400ms', progress: 0, httpPort: 0,
};
const flags = (o: Record<string, string | number>): string[] =>
  Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(v)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A key that Kafka's partitioner (murmur2, as Sabre's) puts in partition p. */
function keyFor(p: number): string {
  for (let i = 0; ; i++) {
    const k = `end-${i}`;
    if (toPositive(murmur2(Buffer.from(k))) % PARTITIONS === p) return k;
  }
}

/**
 * TOTAL trade records at a steady pace, then one record per partition far ahead in event time: each
 * partition's watermark passes every window of the data, so every window fires (the sentinels' own stay open).
 */
async function produce(topic: string, pauseMs: number): Promise<void> {
  const producer = createProducer(createKafka(brokers, 'sabre-test-producer'));
  await producer.connect();
  const gen = new TradeMessages({ ...SPEC, format: 'json', rate: 0, startWallMs: 0 });
  let maxTs = 0;
  try {
    for (let i = 0; i < TOTAL;) {
      const messages = [];
      for (const end = Math.min(TOTAL, i + 500); i < end; i++) {
        const value = gen.next(i);
        maxTs = Math.max(maxTs, gen.ts);
        messages.push({ key: gen.key, value });
      }
      await sendUntilAcked(producer, topic, messages, () => {});
      await sleep(pauseMs);
    }
    const far = maxTs + 3_600_000;
    await sendUntilAcked(producer, topic, Array.from({ length: PARTITIONS }, (_, p) => ({
      key: keyFor(p), partition: p, value: JSON.stringify({ key: keyFor(p), ts: far, value: 1 }),
    })), () => {});
  } finally {
    await producer.disconnect();
  }
}

interface Member { name: string; proc: Running }

describeKafka('scale-out: a consumer group of sabre processes, exactly once', () => {
  it('1 → 3 → 1 members, then at least 10 random joins, leaves and SIGKILLs: read_committed output equals one uninterrupted process', async () => {
    const topic = unique('so-in');
    const out = unique('so-out');
    const refOut = unique('so-ref');
    const group = unique('so');
    const dir = tmpDir();
    await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, PARTITIONS);
    const producing = produce(topic, 150);
    const member = (name: string, g: string, sink: string): Running => startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers,
      '--group', g, ...flags(JOB), '--sink', `kafka:${sink}`, '--changelog', 'auto', '--checkpoint-dir', join(dir, name)]);
    // The reference: one process from start to end, never disturbed.
    const reference = member('ref', `${group}-ref`, refOut);

    const alive: Member[] = [];
    const exits: string[] = [];
    let slot = 0;
    const all: Member[] = [];
    const join_ = () => { const name = `m${slot++ % 5}`; const m = { name, proc: member(name, group, out) }; alive.push(m); all.push(m); };
    const leave = async (how: 'SIGTERM' | 'SIGKILL', i = Math.floor(rnd() * alive.length)) => {
      const [m] = alive.splice(i, 1);
      m!.proc.child.kill(how);
      const exit = await m!.proc.exit;
      if (how === 'SIGTERM') expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).not.toMatch(/ERR_/);
      exits.push(`${m!.name}:${how}`);
    };
    const rnd = seeded(1616);
    const changes: string[] = [];

    // 1 → 3 → 1.
    join_();
    await sleep(4000);
    join_(); join_(); changes.push('join', 'join');
    await sleep(6000);
    await leave('SIGTERM'); await leave('SIGTERM'); changes.push('leave', 'leave');
    await sleep(4000);
    // Chaos: a change every 1.5–4 s; a join is sometimes followed by a kill while the group restores.
    while (changes.length < 14) {
      const r = rnd();
      if (alive.length < 3 && (r < 0.45 || alive.length === 1)) {
        join_();
        changes.push('join');
        if (alive.length > 1 && rnd() < 0.4) {
          await sleep(300 + rnd() * 1200);
          await leave('SIGKILL', 0);
          changes.push('kill during restore');
        }
      } else if (r < 0.75) {
        await leave('SIGKILL');
        changes.push('kill');
      } else {
        await leave('SIGTERM');
        changes.push('leave');
      }
      await sleep(1500 + rnd() * 2500);
    }
    if (alive.length === 0) join_();
    await producing;

    // Drained: every partition committed to its end (the sentinels included), by the group and by the reference.
    await until(() => drained(group, topic), 'the group to commit every partition to its end', 180_000, 500);
    await until(() => drained(`${group}-ref`, topic), 'the reference to commit every partition to its end', 180_000, 500);
    for (const m of [...alive]) await leave('SIGTERM', alive.indexOf(m));
    reference.child.kill('SIGTERM');
    const refExit = await reference.exit;
    expect(refExit.code, refExit.stderr).toBe(0);

    // Killed members' open transactions are aborted by the broker after their timeout; read_committed waits behind them.
    await settled(out);
    await settled(refOut);
    const want = (await readIsolated(refOut, 'read_committed')).map((m) => m.value.toString()).sort();
    const got = (await readIsolated(out, 'read_committed')).map((m) => m.value.toString()).sort();
    process.stderr.write(`[scale-out] ${changes.length} membership changes (${changes.join(', ')}); exits ${exits.join(' ')}; `
      + `${got.length} results, reference ${want.length}\n`);
    if (got.length !== want.length) {
      const seen = new Map<string, number>();
      for (const g of got) seen.set(g, (seen.get(g) ?? 0) + 1);
      const dups = [...seen].filter(([, n]) => n > 1).map(([g]) => JSON.parse(g) as { key: string; start: number });
      const byPart = new Map<string, number>();
      for (const d of dups) { const k = `p${toPositive(murmur2(Buffer.from(d.key))) % PARTITIONS}@${d.start}`; byPart.set(k, (byPart.get(k) ?? 0) + 1); }
      process.stderr.write(`[scale-out] duplicated results ${dups.length}, by input partition and window: ${JSON.stringify([...byPart])}\n`);
      for (const m of all) process.stderr.write(`[scale-out] ${m.name}: ${m.proc.stderr().split('\n').filter((l) => /member|ERR_/.test(l)).join('\n   ')}\n`);
    }
    expect(changes.length).toBeGreaterThanOrEqual(10);
    // Members that stayed committed a checkpoint of their partitions before re-joining (rejoin-hook.ts): they hand over, not redo.
    const handovers = all.map((m) => m.proc.stderr().match(/checkpoint \d+ committed before re-joining/g)?.length ?? 0).reduce((a, b) => a + b, 0);
    expect(handovers).toBeGreaterThan(3);
    // ...and restored the partitions they kept from that commit's files, not from Kafka.
    const keptRestores = all.map((m) => m.proc.stderr().match(/kept from its own commit before re-joining/g)?.length ?? 0).reduce((a, b) => a + b, 0);
    expect(keptRestores).toBeGreaterThan(0);
    expect(want.length).toBeGreaterThan(5000);
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
  }, 600_000);

  it('a job module (windows to a named Kafka sink, a process function with timers) over 2 members, with a SIGKILL and a join: both topics equal one process', async () => {
    const dir = tmpDir();
    const topic = unique('so-job-in');
    const group = unique('so-job');
    await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, 6);
    // Card transactions keyed by card (the job's key), at a steady pace.
    const lines = cardTxns(120_000).split('\n').filter(Boolean);
    const producing = (async () => {
      const producer = createProducer(createKafka(brokers, 'sabre-test-producer'));
      await producer.connect();
      try {
        for (let i = 0; i < lines.length; i += 2000) {
          await sendUntilAcked(producer, topic, lines.slice(i, i + 2000).map((v) => ({ key: (JSON.parse(v) as { card: string }).card, value: v })), () => {});
          await sleep(150);
        }
        const far = 1_700_000_000_000 + 3_600_000;
        const ends = [];
        for (let p = 0; p < 6; p++) {
          let k = 0;
          while (toPositive(murmur2(Buffer.from(`c-end-${k}`))) % 6 !== p) k++;
          ends.push({ key: `c-end-${k}`, partition: p, value: JSON.stringify({ card: `c-end-${k}`, merchant: 'm', amount: 1, status: 'approved', at: far }) });
        }
        await sendUntilAcked(producer, topic, ends, () => {});
      } finally {
        await producer.disconnect();
      }
    })();
    const member = (name: string, g: string, alerts: string, features: string): Running => {
      const job = join(dir, `${name}.mjs`);
      writeCardJob(job, join(dir, 'unused.ndjson'), `toKafka(${JSON.stringify(features)})`);
      return startSabre(['run', '--job', job, '--source', `kafka:${topic}`, '--brokers', brokers, '--group', g, '--partitions', '6', '--workers', '1',
        '--sink', `kafka:${alerts}`, '--changelog', 'auto', '--checkpoint-dir', join(dir, name), '--checkpoint-interval', '400ms',
        '--http-port', '0', '--progress', '0', '--dead-letter', 'null']);
    };
    const [alerts, features, refAlerts, refFeatures] = ['a', 'f', 'ra', 'rf'].map((x) => unique(`so-job-${x}`));
    const reference = member('ref', `${group}-ref`, refAlerts!, refFeatures!);
    const a = member('m0', group, alerts!, features!);
    await sleep(3000);
    let b = member('m1', group, alerts!, features!);
    await sleep(4000);
    b.child.kill('SIGKILL');
    expect((await b.exit).signal).toBe('SIGKILL');
    await sleep(2000);
    b = member('m1', group, alerts!, features!);
    await producing;
    await until(() => drained(group, topic), 'the group to commit every partition to its end', 180_000, 500);
    await until(() => drained(`${group}-ref`, topic), 'the reference to commit every partition to its end', 180_000, 500);
    for (const r of [a, b, reference]) {
      r.child.kill('SIGTERM');
      const exit = await r.exit;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).not.toMatch(/ERR_/);
    }
    for (const [got, want] of [[alerts!, refAlerts!], [features!, refFeatures!]] as const) {
      await settled(got);
      await settled(want);
      const g = (await readIsolated(got, 'read_committed')).map((m) => m.value.toString()).sort();
      const w = (await readIsolated(want, 'read_committed')).map((m) => m.value.toString()).sort();
      expect(w.length).toBeGreaterThan(got === alerts ? 100 : 5000);
      expect(g).toEqual(w);
    }
  }, 400_000);
});
