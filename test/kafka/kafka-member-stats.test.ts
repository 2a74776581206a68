// The stats of a scaled-out member (--changelog): two `sabre run` processes of one consumer group each show,
// in /api/stats, /metrics and `sabre stats`, the group's members, their disjoint partitions, restores,
// changelog writes and transactions; when one leaves, the other commits a checkpoint before it re-joins, and
// its next assignment takes every partition, the three it had restored from that commit's local files.
import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { createKafka } from '../../dist/src/io/kafka/kafka-client.js';
import { statsCommand } from '../../dist/src/cli/stats-command.js';
import type { MemberStats, StatsSnapshot } from '../../dist/src/metrics/stats-snapshot.js';
import { tmpDir } from '../helpers/engine-run.js';
import { freePort } from '../helpers/free-port.js';
import { parsePrometheus, sample } from '../helpers/prom-parser.js';
import { startSabre, type Running } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, createTopic, describeKafka, produceTrades, unique, until } from '../helpers/kafka-env.js';

const PARTITIONS = 6;
const running: Running[] = [];

afterAll(async () => {
  for (const r of running) r.child.kill('SIGKILL');
});

async function stats(port: number): Promise<StatsSnapshot | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/stats`);
    return res.ok ? (await res.json()) as StatsSnapshot : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

async function member(port: number): Promise<MemberStats | null | undefined> {
  return (await stats(port))?.member;
}

describeKafka('stats of a scaled-out member (--changelog)', () => {
  it('two members: each sees both in members, disjoint partitions covering all, restores, changelog bytes, commits; after one leaves the other commits before re-joining and holds all, keeping its own', async () => {
    const topic = unique('ms-in');
    const out = unique('ms-out');
    const group = unique('ms');
    const dir = tmpDir();
    await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, PARTITIONS);
    // Records throughout the test (about 10k/s), so each member has an open transaction when the group changes.
    let producingStops = false;
    const producing = (async () => {
      const spec = { count: 0, keys: 300, seed: 5, disorder: 50, eventsPerMs: 4 };
      for (let i = 0; !producingStops; i += 5000) await produceTrades(topic, spec, { from: i, to: i + 5000, perSend: 500, pauseMs: 50 });
    })();
    const ports = [await freePort(), await freePort()];
    const start = (i: number): Running => {
      const r = startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--partitions', String(PARTITIONS),
        '--workers', '1', '--window', 'tumbling:500ms', '--agg', 'count,sum', '--out-of-orderness', '300ms', '--idle-timeout', NO_IDLE,
        '--late-output', 'null', '--dead-letter', 'null', '--checkpoint-interval', '400ms', '--progress', '0', '--http-port', String(ports[i]),
        '--sink', `kafka:${out}`, '--changelog', 'auto', '--checkpoint-dir', join(dir, `m${i}`)]);
      running.push(r);
      return r;
    };
    const a = start(0);
    const b = start(1);

    // Both joined: each sees the other, their partitions are disjoint and cover 0..5, each restored at least once.
    await until(async () => {
      const [x, y] = [await member(ports[0]!), await member(ports[1]!)];
      if (!x || !y || x.memberId === null || y.memberId === null) return false;
      const ids = (m: MemberStats) => m.members.map((g) => g.memberId).sort();
      const both = [x.memberId, y.memberId].sort();
      const all = [...x.assigned, ...y.assigned].sort((p, q) => p - q);
      return JSON.stringify(ids(x)) === JSON.stringify(both) && JSON.stringify(ids(y)) === JSON.stringify(both)
        && x.assigned.length > 0 && y.assigned.length > 0 && JSON.stringify(all) === JSON.stringify([0, 1, 2, 3, 4, 5])
        && x.restores.count >= 1 && y.restores.count >= 1
        && x.members.every((g) => JSON.stringify(g.partitions) === JSON.stringify(g.memberId === x.memberId ? x.assigned : y.assigned));
    }, 'both members to see each other, with disjoint partitions covering 0..5', 90_000, 250);
    // Checkpoints commit: state goes to the changelog inside the transactions.
    await until(async () => {
      const [x, y] = [await member(ports[0]!), await member(ports[1]!)];
      return !!x && !!y && [x, y].every((m) => m.changelog.bytes > 0 && m.changelog.messages > 0 && m.changelog.checkpoints > 0 && m.transactions.commits > 0);
    }, 'changelog bytes and commits on both members', 60_000, 250);

    const x = (await member(ports[0]!))!;
    expect(x.group).toBe(group);
    expect(x.topic).toBe(topic);
    expect(x.changelogTopic).toMatch(/\S/);
    expect(x.generation).toBeGreaterThanOrEqual(1);
    expect(x.membersAt).not.toBeNull();
    expect(x.restores.recent.length).toBe(x.restores.count);
    expect(x.restores.recent.at(-1)!.partitions).toEqual(x.assigned);
    for (const g of x.members) {
      expect(g.clientId).toMatch(/\S/);
      expect(g.host).toMatch(/\S/);
    }

    // /metrics carries the same figures (one scrape and the /api/stats right after it: counters only rise, the assignment holds).
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).text());
    const after = (await member(ports[0]!))!;
    expect(sample(metrics, 'sabre_member_assigned_partitions')).toBe(after.assigned.length);
    expect(sample(metrics, 'sabre_member_generation')).toBe(after.generation);
    expect(sample(metrics, 'sabre_group_members')).toBe(2);
    expect(sample(metrics, 'sabre_member_restores_total')).toBe(after.restores.count);
    expect(sample(metrics, 'sabre_member_restore_bytes_total')).toBe(after.restores.bytes);
    expect(sample(metrics, 'sabre_member_restore_seconds_total')).toBeCloseTo(after.restores.totalMs / 1000, 6);
    for (const [name, now] of [['sabre_changelog_bytes_total', after.changelog.bytes], ['sabre_changelog_messages_total', after.changelog.messages],
      ['sabre_transactions_total', after.transactions.commits]] as const) {
      const scraped = name === 'sabre_transactions_total' ? sample(metrics, name, { outcome: 'committed' }) : sample(metrics, name);
      expect(scraped).toBeGreaterThan(0);
      expect(scraped).toBeLessThanOrEqual(now);
    }
    expect(sample(metrics, 'sabre_transactions_total', { outcome: 'aborted' })).toBeLessThanOrEqual(after.transactions.aborts);

    // `sabre stats --url` prints the member block.
    const text = await statsCommand({ url: `http://127.0.0.1:${ports[0]}` });
    expect(text).toContain(`Group member ${after.memberId} of "${group}"`);
    expect(text).toMatch(/^\s+transactions: [\d,]+ committed, [\d,]+ aborted/m);
    for (const g of after.members) expect(text).toContain(g.memberId);

    // B leaves (SIGTERM): A commits before re-joining, and its next assignment takes all six partitions, keeping its own.
    const before = (await member(ports[0]!))!;
    b.child.kill('SIGTERM');
    const exit = await b.exit;
    expect(exit.code, exit.stderr).toBe(0);
    let seen: MemberStats | null | undefined;
    await until(async () => {
      const m = seen = await member(ports[0]!);
      return !!m && m.generation > before.generation && m.assigned.length === PARTITIONS && m.restores.count > before.restores.count
        && m.members.length === 1 && m.members[0]!.partitions.length === PARTITIONS;
    }, 'the remaining member to hold all six partitions', 90_000, 250).catch((e: Error) => {
      throw new Error(`${e.message}; before ${JSON.stringify(before)}; last seen ${JSON.stringify(seen)}; stderr:\n${a.stderr()}`);
    });
    const alone = (await member(ports[0]!))!;
    expect(alone.assigned).toEqual([0, 1, 2, 3, 4, 5]);
    expect(alone.transactions.commits).toBeGreaterThan(before.transactions.commits);
    const last = alone.restores.recent[alone.restores.recent.length - 1]!;
    expect(last.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    // The three it kept came from the checkpoint it committed before re-joining (stderr says so too); B's three from Kafka.
    expect(last.kept).toBe(before.assigned.length);
    expect(a.stderr()).toMatch(/checkpoint \d+ committed before re-joining/);
    expect(a.stderr()).toMatch(/kept from its own commit before re-joining/);
    expect(alone.members[0]!.memberId).toBe(alone.memberId);

    producingStops = true;
    await producing;
    a.child.kill('SIGTERM');
    const aExit = await a.exit;
    expect(aExit.code, aExit.stderr).toBe(0);
  }, 240_000);
});
