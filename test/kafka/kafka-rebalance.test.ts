// A consumer-group rebalance under load, against the real broker: Sabre (member A, `sabre run`)
// consumes an 8-partition topic while a producer keeps writing; a second Sabre process (member B)
// joins the same group, so Kafka revokes partitions from A and gives them to B; B is stopped
// (SIGTERM) and leaves, and A gets them back.
//
// What the Kafka source guarantees for such graceful rebalances (src/io/kafka/source/kafka-source.ts),
// and what is asserted: every record is processed by exactly one member, once — none lost, none
// twice. A commits its accepted offsets when the group starts rebalancing, before it re-joins, so
// B starts on a revoked partition exactly where A stopped; B commits on stop, before it leaves, so
// A resumes exactly where B stopped. (Records are re-read — at-least-once — only when a member dies
// without committing: up to a commit interval's worth, covered by kafka-source-kill.test.ts.)
//
// Every record has its own key (`p<partition>-<seq>`, seq = its offset), and all of them fall in
// one 1 h window that fires only when a member stops: each member's output has one line per
// record it processed, with count 1. So the two outputs say exactly which record each member
// processed, and how often.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { createAdmin, createKafka, createProducer, ensureTopic, type Admin } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { KafkaSource, type KafkaPosition } from '../../dist/src/io/kafka/source/kafka-source.js';
import type { IngestPort } from '../../dist/src/io/sources/ingest-port.js';
import { tmpDir } from '../helpers/engine-run.js';
import { startSabre, type Exit } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, drained, groupOffsets, unique, until } from '../helpers/kafka-env.js';

const PARTITIONS = 8;
/** Records per partition per send, and the pause between sends: ~4,000 records/s over the topic. */
const PER_ROUND = 50;
const ROUND_MS = 100;
const HOUR = 3_600_000;
/** Window start of every record: ts = T0 + seq stays far inside [T0, T0 + 1 h). */
const T0 = Math.floor(1_700_000_000_000 / HOUR) * HOUR;

interface Member { memberId: string; partitions: number[] }

/** The group's members and their partitions of `topic`, once the group is Stable (undefined while it rebalances). */
async function stableMembers(admin: Admin, group: string, topic: string): Promise<Member[] | undefined> {
  const { groups } = await admin.describeGroups([group]);
  const g = groups[0];
  if (!g || g.state !== 'Stable') return undefined;
  return g.members.map((m) => ({
    memberId: m.memberId,
    partitions: [...(kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [])].sort((a, b) => a - b),
  }));
}

/** key → count, from a member's result lines. */
function processed(path: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { key: string; start: number; count: number };
    expect(r.start).toBe(T0);
    m.set(r.key, (m.get(r.key) ?? 0) + r.count);
  }
  return m;
}

function job(topic: string, group: string, out: string): string[] {
  return ['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--partitions', '4', '--workers', '1',
    '--window', 'tumbling:1h', '--agg', 'count', '--idle-timeout', NO_IDLE, '--sink', `file:${out}`,
    '--late-output', `file:${out}.late`, '--dead-letter', `file:${out}.dead`, '--progress', '0', '--http-port', '0'];
}

function expectCleanExit(e: Exit, who: string): void {
  expect(e.code, `${who} exit\n${e.stderr}`).toBe(0);
  expect(e.stderr, who).toMatch(/done in [\d.]+s/);
}

describeKafka('Kafka source: consumer-group rebalance', () => {
  it('a second member joins and leaves mid-run: revoked partitions move at the committed offsets, every record is processed exactly once, the first member resumes them', async () => {
    const topic = unique('rebalance');
    const group = unique('rebalance');
    const dir = tmpDir();
    const outA = join(dir, 'a.ndjson');
    const outB = join(dir, 'b.ndjson');
    const kafka = createKafka(brokers, 'sabre-test-rebalance');
    const admin = createAdmin(kafka);
    await admin.connect();
    await ensureTopic(admin, topic, PARTITIONS);
    const producer = createProducer(kafka); // idempotent: no duplicates in the topic, seq = offset
    await producer.connect();

    const next = new Array<number>(PARTITIONS).fill(0);
    let producing = true;
    const writing = (async () => {
      while (producing) {
        const messages = [];
        for (let p = 0; p < PARTITIONS; p++) {
          for (let i = 0; i < PER_ROUND; i++) {
            const s = next[p]++;
            messages.push({ partition: p, key: `p${p}-${s}`, value: `{"ts":${T0 + s},"value":1}` });
          }
        }
        await sendUntilAcked(producer, topic, messages, () => {});
        await delay(ROUND_MS);
      }
    })();
    const a = startSabre(job(topic, group, outA));
    let b: ReturnType<typeof startSabre> | undefined;
    try {
      // Phase 1: A alone owns all 8 partitions and has committed progress on each.
      let aId = '';
      await until(async () => {
        const m = await stableMembers(admin, group, topic);
        if (m?.length !== 1 || m[0]!.partitions.length !== PARTITIONS) return false;
        aId = m[0]!.memberId;
        const { committed } = await groupOffsets(group, topic);
        return [...committed.values()].every((o) => o > 0);
      }, 'A to own every partition and commit on each', 60_000, 100);

      // Phase 2: B joins. Kafka revokes some partitions from A and assigns them to B.
      b = startSabre(job(topic, group, outB));
      let bParts: number[] = [];
      await until(async () => {
        const m = await stableMembers(admin, group, topic);
        if (m?.length !== 2) return false;
        const ma = m.find((x) => x.memberId === aId);
        const mb = m.find((x) => x.memberId !== aId);
        if (!ma || !mb || ma.partitions.length === 0 || mb.partitions.length === 0) return false;
        expect([...ma.partitions, ...mb.partitions].sort((x, y) => x - y)).toEqual([...Array(PARTITIONS).keys()]);
        bParts = mb.partitions;
        return true;
      }, 'B to join and get partitions from A', 60_000, 50);
      // B consumes: its partitions' committed offsets move past where they were when it joined.
      const atJoin = (await groupOffsets(group, topic)).committed;
      await until(async () => {
        const { committed } = await groupOffsets(group, topic);
        return bParts.every((p) => committed.get(p)! >= atJoin.get(p)! + 3 * PER_ROUND);
      }, 'B to commit progress on its partitions', 60_000, 100);

      // Phase 3: B stops (SIGTERM: it commits, leaves the group, fires its windows and exits).
      b.child.kill('SIGTERM');
      expectCleanExit(await b.exit, 'B');
      const atLeave = (await groupOffsets(group, topic)).committed;
      await until(async () => {
        const m = await stableMembers(admin, group, topic);
        return m?.length === 1 && m[0]!.memberId === aId && m[0]!.partitions.length === PARTITIONS;
      }, 'A to get every partition back', 60_000, 50);
      // A consumes B's former partitions from where B left them.
      await until(async () => {
        const { committed } = await groupOffsets(group, topic);
        return bParts.every((p) => committed.get(p)! >= atLeave.get(p)! + 3 * PER_ROUND);
      }, 'A to commit progress on the partitions it got back', 60_000, 100);

      // Phase 4: the producer stops; A reads to the end of every partition, then stops.
      producing = false;
      await writing;
      await until(() => drained(group, topic), 'A to commit the end of every partition', 60_000, 100);
      const { ends } = await groupOffsets(group, topic);
      for (let p = 0; p < PARTITIONS; p++) expect(ends.get(p), `end of partition ${p}`).toBe(next[p]);
      a.child.kill('SIGTERM');
      expectCleanExit(await a.exit, 'A');

      // Who processed what.
      const byA = processed(outA);
      const byB = processed(outB);
      const lost: string[] = [];
      const twice: string[] = [];
      const aSeqs = Array.from({ length: PARTITIONS }, () => [] as number[]);
      const bSeqs = Array.from({ length: PARTITIONS }, () => [] as number[]);
      let total = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        for (let s = 0; s < next[p]!; s++) {
          const k = `p${p}-${s}`;
          const na = byA.get(k) ?? 0;
          const nb = byB.get(k) ?? 0;
          total++;
          if (na + nb === 0) lost.push(k);
          if (na + nb > 1) twice.push(`${k}: A ${na}, B ${nb}`);
          if (na > 0) aSeqs[p]!.push(s);
          if (nb > 0) bSeqs[p]!.push(s);
        }
      }
      expect(lost.length, `lost: ${lost.slice(0, 10).join(', ')}`).toBe(0);
      expect(twice.length, `processed twice: ${twice.slice(0, 10).join(', ')}`).toBe(0);
      expect(byA.size + byB.size).toBe(total); // nothing else in the outputs either

      for (let p = 0; p < PARTITIONS; p++) {
        const bs = bSeqs[p]!;
        if (!bParts.includes(p)) {
          expect(bs, `partition ${p} stayed with A`).toEqual([]);
          continue;
        }
        // B took partition p over at one offset (lo) and handed it back at one (hi + 1): B began at the
        // offset committed when p moved, and had A not committed exactly what it had accepted, B would
        // have processed records A processed too (twice) or skipped some (lost).
        expect(bs.length, `B processed partition ${p}`).toBeGreaterThan(0);
        const lo = bs[0]!;
        const hi = bs.at(-1)!;
        expect(bs.length, `B's records of partition ${p} are one run of offsets`).toBe(hi - lo + 1);
        expect(lo, `A processed partition ${p} before B`).toBeGreaterThan(0);
        expect(hi, `A resumed partition ${p} after B left`).toBeLessThan(next[p]! - 1);
        expect(aSeqs[p]!.length).toBe(next[p]! - bs.length);
      }
      process.stderr.write(`[rebalance test] ${total} records; B had partitions ${bParts.join(',')} and processed ${byB.size}, A ${byA.size}\n`);
    } finally {
      producing = false;
      await writing.catch(() => {});
      for (const m of [a, b]) if (m && m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 240_000);
});

// kafkajs emits REBALANCING and starts re-joining in the same turn. The commit of what was accepted
// must leave in that turn too, even while an earlier (periodic) commit is still in flight: waiting
// for that one first would put our JoinGroup ahead of the commit, and a commit that arrives after
// the group moved on is refused, so the revoked partitions' next owner would re-read records.
describe('Kafka source: commit on REBALANCING', () => {
  it('is sent in the same turn, with every accepted position, while another commit is in flight', async () => {
    const handlers = new Map<string, () => void>();
    const sent: KafkaPosition[][] = [];
    const replies: (() => void)[] = [];
    const consumer = {
      events: { COMMIT_OFFSETS: 'commit', GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash' },
      on: (event: string, fn: () => void) => { handlers.set(event, fn); },
      commitOffsets: (list: KafkaPosition[]) => {
        sent.push(list);
        return new Promise<void>((r) => replies.push(r));
      },
    };
    const port = { needsValue: true } as unknown as IngestPort;
    const source = new KafkaSource('t', 'g', consumer as never, port, 'json', { time: 'ts', value: 'value' });
    source.offsets.accept('t', 0, '9');
    const periodic = source.commit(); // in flight: Kafka has not answered yet
    expect(sent).toEqual([[{ topic: 't', partition: 0, offset: '10' }]]);
    source.offsets.accept('t', 0, '19');
    source.offsets.accept('t', 1, '4');
    handlers.get('rebalancing')!();
    expect(sent).toHaveLength(2); // no await between the event and the request
    expect(sent[1]).toEqual([{ topic: 't', partition: 0, offset: '20' }, { topic: 't', partition: 1, offset: '5' }]);
    for (const r of replies) r();
    await periodic;
  });
});
