// `sabre run --source kafka:TOPIC --replay FROM..TO`: a range of a topic re-run
// deterministically. A topic of 6 partitions whose records are out of order
// across partitions (each partition runs behind or ahead of the others) and,
// now and then, within one (a record far behind: late beyond the bound). The
// same timestamp range is replayed with (P, W) = (1, 1), (4, 2), (16, 2), by the
// flag-only job and by a job module: outputs and late outputs are the same
// multisets every time, and equal to the reference (test/reference/reference-job.ts,
// one partition: the replay's watermark is global) run over the range's records
// in the merge order computed here. The group's committed offsets stay as they were.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { createAdmin, createKafka, createProducer, type Message } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { canonicalLines, runReference, type RefRecord } from '../reference/reference-job.js';
import { tmpDir } from '../helpers/engine-run.js';
import { runSabre, seeded } from '../helpers/sabre-process.js';
import { brokers, createTopic, describeKafka, groupOffsets, unique } from '../helpers/kafka-env.js';

const PARTITIONS = 6;
const PER_PARTITION = 500;
const BOUND = 200;
const HOUR = 3_600_000;
/**
 * The records' message timestamps start here: the hour before last, not a
 * fixed date. The broker deletes a segment whose newest timestamp is older
 * than its retention (7 days) at each retention check, every 5 minutes: a
 * topic of January's timestamps lost its records in the middle of a run
 * whenever a check fell inside it (the replays then read nothing).
 */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
/** The replayed range of message timestamps: [FROM, TO). */
const FROM = T0 + 6_000;
const TO = T0 + 20_000;
const COMMITTED = 7;
const RUNS: [number, number][] = [[1, 1], [4, 2], [16, 2]];

interface Rec { key: string; ts: number; value: number }

/**
 * Partition p's record i: about 50 ms after the one before, the partition
 * skewed by (p - 2) × 400 ms against the others (out of order across
 * partitions by more than the bound), jitter below the bound, and one in 25
 * 1.5 s behind its partition (late once a record past it was merged).
 */
function records(): Rec[][] {
  const rand = seeded(11);
  return Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: PER_PARTITION }, (_, i) => {
    let ts = T0 + i * 50 + (p - 2) * 400 + Math.floor(rand() * 150);
    if (rand() < 0.04) ts -= 1_500;
    return { key: `k${Math.floor(rand() * 13)}`, ts, value: Math.floor(rand() * 100) };
  }));
}

/** What --replay reads: per partition, from its first record with timestamp ≥ FROM to (excluded) its first with ≥ TO; merged. */
function mergedRange(parts: Rec[][]): Rec[] {
  const first = (rs: Rec[], t: number): number => { const i = rs.findIndex((r) => r.ts >= t); return i < 0 ? rs.length : i; };
  const ranges = parts.map((rs) => rs.slice(first(rs, FROM), Math.max(first(rs, FROM), first(rs, TO))));
  const heads = ranges.map(() => 0);
  const out: Rec[] = [];
  for (;;) {
    let best = -1;
    for (let p = 0; p < ranges.length; p++) {
      if (heads[p]! < ranges[p]!.length && (best < 0 || ranges[p]![heads[p]!]!.ts < ranges[best]![heads[best]!]!.ts)) best = p;
    }
    if (best < 0) return out;
    out.push(ranges[best]![heads[best]!++]!);
  }
}

async function produce(topic: string, parts: Rec[][]): Promise<void> {
  const producer = createProducer(createKafka(brokers));
  await producer.connect();
  try {
    const messages: Message[] = parts.flatMap((rs, partition) => rs.map((r) => ({
      key: r.key, partition, timestamp: String(r.ts), value: JSON.stringify(r),
    })));
    await sendUntilAcked(producer, topic, messages, () => {});
  } finally {
    await producer.disconnect();
  }
}

const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
/** Late lines without the partition they met (which depends on --partitions), sorted. */
const lateLines = (path: string): string[] => lines(path).map((l) => {
  const { partition: _p, ...rest } = JSON.parse(l) as Record<string, unknown>;
  return JSON.stringify(rest);
}).sort();

describeKafka('sabre run --replay', () => {
  it('replays a timestamp range to the same outputs whatever --partitions and --workers, equal to the reference', async () => {
    const topic = unique('replay');
    const group = unique('replay-group');
    await createTopic(createKafka(brokers), topic, PARTITIONS);
    const parts = records();
    await produce(topic, parts);
    const admin = createAdmin(createKafka(brokers));
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: group, topic, partitions: parts.map((_, partition) => ({ partition, offset: String(COMMITTED) })) });
    } finally {
      await admin.disconnect();
    }

    const merged = mergedRange(parts);
    const ref = runReference(merged as RefRecord[], {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'max'],
      outOfOrderness: BOUND, allowedLateness: 0, partitions: 1, partitionOf: () => 0,
    });
    expect(ref.late.length).toBeGreaterThan(10);
    expect(ref.results.length).toBeGreaterThan(100);

    const dir = tmpDir();
    const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
    const job = join(dir, 'per-key.mjs');
    writeFileSync(job, `import { job, file, tumbling, count, sum } from '${SABRE}';
export default job({ source: file('unused.ndjson', { fields: { key: 'string', ts: 'number', value: 'number' }, time: 'ts' }) })
  .keyBy('key')
  .window(tumbling('1s'))
  .aggregate({ n: count(), total: sum('value') });
`);
    // FROM as ISO-8601, TO as epoch ms: both forms of a time.
    const replay = `${new Date(FROM).toISOString()}..timestamp:${TO}`;
    const common = ['--source', `kafka:${topic}`, '--replay', replay, '--brokers', brokers, '--group', group,
      '--out-of-orderness', `${BOUND}ms`, '--http-port', '0', '--progress', '0', '--dead-letter', 'stderr'];
    const flagOnly = ['--key', 'key', '--time', 'ts', '--value', 'value', '--window', 'tumbling:1s', '--agg', 'count,sum,max'];

    const refLate = ref.late.map((r) => `${r.key}@${r.ts}=${r.value}`).sort();
    const jobRef = ref.results.map((r) => JSON.stringify({ key: r.key, start: r.start, end: r.end, fire: r.fire, n: r.count, total: r.sum })).sort();
    const seen: Record<'flag' | 'job', { out: string[]; late: string[] }[]> = { flag: [], job: [] };
    for (const [P, W] of RUNS) {
      for (const kind of ['flag', 'job'] as const) {
        const out = join(dir, `${kind}-${P}-${W}.ndjson`);
        const late = join(dir, `${kind}-${P}-${W}.late.ndjson`);
        const r = await runSabre(['run', ...(kind === 'job' ? ['--job', job] : flagOnly), ...common,
          '--partitions', String(P), '--workers', String(W), '--sink', `file:${out}`, '--late-output', `file:${late}`]);
        expect(r.code, r.stderr).toBe(0);
        seen[kind].push({ out: lines(out).sort(), late: lateLines(late) });
      }
    }

    // Identical across (P, W).
    for (const kind of ['flag', 'job'] as const) {
      for (const s of seen[kind].slice(1)) {
        expect(s.out).toEqual(seen[kind][0]!.out);
        expect(s.late).toEqual(seen[kind][0]!.late);
      }
    }
    // Equal to the reference over the merged range.
    expect(seen.flag[0]!.out).toEqual(canonicalLines(ref.results));
    const lateOf = (l: string): string => { const o = JSON.parse(l) as Rec; return `${o.key}@${o.ts}=${o.value}`; };
    expect(seen.flag[0]!.late.map(lateOf).sort()).toEqual(refLate);
    const jobOut = seen.job[0]!.out.map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify({ key: o.key, start: o.start, end: o.end, fire: o.fire, n: o.n, total: o.total });
    }).sort();
    expect(jobOut).toEqual(jobRef);
    expect(seen.job[0]!.late.map(lateOf).sort()).toEqual(refLate);

    // The group's commits are where they were, and the replay's own throwaway groups are gone.
    const { committed } = await groupOffsets(group, topic);
    expect([...committed.values()]).toEqual(parts.map(() => COMMITTED));
    const a = createAdmin(createKafka(brokers));
    await a.connect();
    try {
      const { groups } = await a.listGroups();
      expect(groups.filter((g) => g.groupId.startsWith(`sabre-replay-${topic}-`))).toEqual([]);
    } finally {
      await a.disconnect();
    }

    // Bad ranges are refused before anything connects.
    for (const [text, why] of [['latest..earliest', /FROM cannot be latest/], ['2026-01-05..soon', /TO "soon" is not one of/],
      ['offset:x..latest', /offset:N takes a non-negative integer/]] as const) {
      const r = await runSabre(['run', ...flagOnly, '--source', `kafka:${topic}`, '--replay', text, '--brokers', brokers, '--http-port', '0']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/ERR_INVALID_OPTION/);
      expect(r.stderr).toMatch(why);
    }
  }, 240_000);

  it('offset ranges and earliest..latest; ranges ending on transaction markers, of aborted records only, or empty still end', async () => {
    const topic = unique('replay-tx');
    await createTopic(createKafka(brokers), topic, 2);
    const parts = records().slice(0, 2).map((rs) => rs.slice(0, 200));
    // Two transactions, one committed and one aborted, then one committed: markers inside and at the end of every partition.
    const producer = createProducer(createKafka(brokers), { transactionalId: unique('replay-tx-id'), transactionTimeout: 30_000 });
    await producer.connect();
    try {
      for (const [lo, hi, commit] of [[0, 100, true], [100, 200, false], [100, 200, true]] as const) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: parts.flatMap((rs, partition) => rs.slice(lo, hi).map((r) => ({
          key: r.key, partition, timestamp: String(r.ts), value: JSON.stringify(r),
        }))) });
        await (commit ? tx.commit() : tx.abort());
      }
    } finally {
      await producer.disconnect();
    }
    const dir = tmpDir();
    const merge = (ranges: Rec[][]): Rec[] => {
      const heads = ranges.map(() => 0);
      const out: Rec[] = [];
      for (;;) {
        let best = -1;
        for (let p = 0; p < ranges.length; p++) {
          if (heads[p]! < ranges[p]!.length && (best < 0 || ranges[p]![heads[p]!]!.ts < ranges[best]![heads[best]!]!.ts)) best = p;
        }
        if (best < 0) return out;
        out.push(ranges[best]![heads[best]!++]!);
      }
    };
    // Offsets: 0..99 the first transaction, 100 its marker, 101..200 aborted, 201 marker, 202..301 the last, 302 marker (end 303).
    const offsetOf = (i: number): number => (i < 100 ? i : i + 102);
    const cases: [string, Rec[][]][] = [
      ['earliest..latest', parts],
      ['offset:50..latest', parts.map((rs) => rs.filter((_, i) => offsetOf(i) >= 50))],
      ['offset:0..offset:1000', parts],
      ['offset:250..offset:280', parts.map((rs) => rs.filter((_, i) => offsetOf(i) >= 250 && offsetOf(i) < 280))],
      ['offset:150..offset:200', [[], []]],
      ['offset:7..offset:7', [[], []]],
    ];
    for (const [replay, ranges] of cases) {
      const out = join(dir, `out-${cases.findIndex((c) => c[0] === replay)}.ndjson`);
      const r = await runSabre(['run', '--source', `kafka:${topic}`, '--replay', replay, '--brokers', brokers,
        '--key', 'key', '--time', 'ts', '--value', 'value', '--window', 'tumbling:1s', '--agg', 'count,sum,max',
        '--out-of-orderness', `${BOUND}ms`, '--partitions', '3', '--workers', '2', '--http-port', '0', '--progress', '0',
        '--sink', `file:${out}`, '--late-output', 'null']);
      expect(r.code, r.stderr).toBe(0);
      const ref = runReference(merge(ranges) as RefRecord[], {
        window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'max'],
        outOfOrderness: BOUND, allowedLateness: 0, partitions: 1, partitionOf: () => 0,
      });
      expect(lines(out).sort(), replay).toEqual(canonicalLines(ref.results));
    }
  }, 240_000);
});
