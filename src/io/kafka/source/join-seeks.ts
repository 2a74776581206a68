import type { KafkaPosition } from './offset-tracker.js';

/**
 * Where a partition starts when the group assigns it to this source, other
 * than at the group's committed offset:
 * - a restored checkpoint's position, at every assignment: the checkpoint
 *   wins over whatever the group committed (a crash can fall between the
 *   manifest and the commit, or a corrupt newest checkpoint can send us back
 *   to an older one);
 * - else --start-from's position (start-from.ts) for a partition the group
 *   had no commit for when the source started, at its first assignment only
 *   (later ones find our commits).
 */
export class JoinSeeks {
  /** --start-from positions not seeked yet, by topic and partition. */
  private readonly pending: Map<string, KafkaPosition>;

  constructor(private readonly resume: readonly KafkaPosition[], start: readonly KafkaPosition[]) {
    const restored = new Set(resume.map(keyOf));
    this.pending = new Map(start.filter((r) => !restored.has(keyOf(r))).map((r) => [keyOf(r), r]));
  }

  /** On GROUP_JOIN: seek what the new assignment holds of the positions above. */
  onJoin(assignment: Record<string, number[] | undefined>, seek: (p: KafkaPosition) => void): void {
    for (const r of this.resume) if (assignment[r.topic]?.includes(r.partition)) seek(r);
    for (const [key, r] of this.pending) {
      if (!assignment[r.topic]?.includes(r.partition)) continue;
      this.pending.delete(key);
      seek(r);
    }
  }
}

function keyOf(p: KafkaPosition): string {
  return `${p.topic}\u0000${p.partition}`;
}
