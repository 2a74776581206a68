// The member section (--changelog) as /metrics and `sabre stats` render it: every figure of the section
// comes out under its metric name or in its line of the block; other runs render neither.
import { describe, expect, it } from 'vitest';
import { Counters } from '../../../dist/src/metrics/counters.js';
import { MetricsHub } from '../../../dist/src/metrics/metrics-hub.js';
import { PrometheusExporter } from '../../../dist/src/metrics/prometheus.js';
import { memberLines, partitionList, renderStats } from '../../../dist/src/cli/stats-command.js';
import type { MemberStats } from '../../../dist/src/metrics/stats-snapshot.js';
import { parsePrometheus, sample } from '../../helpers/prom-parser.js';

const member: MemberStats = {
  group: 'orders-g', topic: 'orders', changelogTopic: 'orders-g-changelog', memberId: 'sabre-b2', generation: 3, assigned: [0, 1, 2, 5],
  restores: {
    count: 2, partitions: 10, bytes: 123_456, totalMs: 2345.5,
    recent: [
      { generation: 1, partitions: [0, 1, 2, 3, 4, 5], withState: 0, bytes: 0, readMs: 12, rewindMs: 3, at: 1_700_000_000_000 },
      { generation: 3, partitions: [0, 1, 2, 5], withState: 4, bytes: 123_456, readMs: 2000.25, rewindMs: 330.25, at: 1_700_000_060_000 },
    ],
  },
  lastRewindMs: 330.25, rewoundResults: 17,
  changelog: { checkpoints: 40, bytes: 9_876_543, messages: 160, lastWriteMs: 4.5 },
  transactions: { commits: 38, aborts: 2, fencedCommits: 1 },
  members: [
    { memberId: 'sabre-b2', clientId: 'sabre', host: '/127.0.0.1', partitions: [0, 1, 2, 5] },
    { memberId: 'sabre-c7', clientId: 'sabre', host: '/10.0.0.7', partitions: [3, 4] },
  ],
  membersAt: 1_700_000_061_000, membersError: 'This server is not the coordinator for this group',
};

function snapshotWith(m: MemberStats | null) {
  const hub = new MetricsHub({ counters: Counters.create({ partitions: 2, workers: 1 }), mainThread: false, member: () => m });
  return hub.snapshot();
}

describe('member section rendering', () => {
  it('/metrics: assigned partitions, generation, group members, restores, changelog and transactions', async () => {
    const s = snapshotWith(member);
    expect(s.member).toEqual(member);
    const f = parsePrometheus(await new PrometheusExporter().render(s));
    expect(f.get('sabre_member_assigned_partitions')!.type).toBe('gauge');
    expect(sample(f, 'sabre_member_assigned_partitions')).toBe(member.assigned.length);
    expect(sample(f, 'sabre_member_generation')).toBe(member.generation);
    expect(sample(f, 'sabre_group_members')).toBe(member.members.length);
    expect(f.get('sabre_member_restores_total')!.type).toBe('counter');
    expect(sample(f, 'sabre_member_restores_total')).toBe(member.restores.count);
    expect(sample(f, 'sabre_member_restore_bytes_total')).toBe(member.restores.bytes);
    expect(sample(f, 'sabre_member_restore_seconds_total')).toBeCloseTo(member.restores.totalMs / 1000, 9);
    expect(sample(f, 'sabre_changelog_bytes_total')).toBe(member.changelog.bytes);
    expect(sample(f, 'sabre_changelog_messages_total')).toBe(member.changelog.messages);
    expect(sample(f, 'sabre_transactions_total', { outcome: 'committed' })).toBe(member.transactions.commits);
    expect(sample(f, 'sabre_transactions_total', { outcome: 'aborted' })).toBe(member.transactions.aborts);
    expect(sample(f, 'sabre_transactions_total', { outcome: 'refused' })).toBe(member.transactions.fencedCommits);
  });

  it('/metrics of a run without --changelog: no transactions by outcome, the member figures 0', async () => {
    const s = snapshotWith(null);
    expect(s.member).toBeNull();
    const text = await new PrometheusExporter().render(s);
    expect(text).not.toMatch(/^sabre_transactions_total\{/m);
    const f = parsePrometheus(text);
    for (const name of ['sabre_member_assigned_partitions', 'sabre_member_generation', 'sabre_group_members', 'sabre_member_restores_total',
      'sabre_changelog_bytes_total']) expect(sample(f, name)).toBe(0);
  });

  it('sabre stats: the Group member block, with each member of the group and its partitions', () => {
    const s = snapshotWith(member);
    const text = renderStats(s);
    const block = memberLines(member);
    expect(text).toContain(block.join('\n'));
    expect(block[0]).toBe(`Group member ${member.memberId} of "${member.group}" (${member.topic}, changelog ${member.changelogTopic})`);
    expect(block[1]).toBe(`  generation ${member.generation}, assigned ${partitionList(member.assigned)} (${member.assigned.length})`);
    expect(partitionList(member.assigned)).toBe('0-2,5');
    expect(text).toMatch(/restores 2: 10 partitions, 123,456 bytes, 2,346 ms; last rewind 330 ms, 17 results dropped by rewinds/);
    expect(text).toMatch(/last restore: generation 3, partitions 0-2,5, 4 with state, 123,456 bytes, read 2,000 ms, rewind 330 ms/);
    expect(text).toMatch(/changelog: 40 checkpoints, 9,876,543 bytes, 160 messages, last write 4\.50 ms/);
    expect(text).toMatch(/transactions: 38 committed, 2 aborted, 1 commits refused while fenced/);
    expect(text).toContain(`group members (2, as of ${new Date(member.membersAt!).toISOString()}; last describe failed: ${member.membersError})`);
    const rows = text.split('\n').filter((l) => /^\s{4}sabre-/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toEqual(member.members.map((m) => [m.memberId === member.memberId ? `${m.memberId} (this)` : m.memberId, m.clientId, m.host,
      partitionList(m.partitions)]));
  });

  it('sabre stats of a run without --changelog has no member block', () => {
    expect(renderStats(snapshotWith(null))).not.toContain('Group member');
  });
});
