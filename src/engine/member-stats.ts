// The member section of a scaled-out run's stats (--changelog; /api/stats,
// /metrics, `sabre stats`, the dashboard's Group member card): the source's
// view of the group and its restores, the engine's rewinds, the sink's
// transactions and changelog writes, read per snapshot.
import type { MemberStats } from '../metrics/stats-snapshot.js';
import type { Source } from '../io/sources/source.js';
import type { CommittingSink } from '../io/sinks/committing-sink.js';
import type { RewindStats } from './rewind.js';

const NO_SINK: Pick<MemberStats, 'changelog' | 'transactions'> = {
  changelog: { checkpoints: 0, bytes: 0, messages: 0, lastWriteMs: 0 },
  transactions: { commits: 0, aborts: 0, fencedCommits: 0 },
};

/** A reader of the member section, or undefined when `source` is no member of a scaled-out job. */
export function memberStatsReader(source: Source | undefined, sink: () => CommittingSink | undefined,
  rewinds: () => RewindStats): (() => MemberStats | null) | undefined {
  if (source?.memberStats?.() === undefined) return undefined;
  return () => {
    const m = source.memberStats!();
    if (m === undefined) return null;
    const r = rewinds();
    const k = sink()?.memberStats?.() ?? NO_SINK;
    return { ...m, lastRewindMs: r.lastRewindMs, rewoundResults: r.rewoundResults, changelog: k.changelog, transactions: k.transactions };
  };
}
