// The consumer group's members as its coordinator describes them, for the
// stats of a scaled-out member (--changelog): who is in the group and which
// partitions each holds. Polled in the background, never on the hot path.
import type { GroupMemberStats } from '../../../metrics/stats-snapshot.js';
import { AssignerProtocol, errorText, type Consumer } from '../kafka-client.js';

/** How often the group is described. */
export const GROUP_VIEW_INTERVAL_MS = 2000;

/**
 * The last good description of the group (`members`, taken at `at`). A poll
 * that fails keeps it and says why in `error` until one succeeds again: a
 * broker outage or a rebalance must not blank the dashboard's view.
 */
export class GroupView {
  members: GroupMemberStats[] = [];
  /** When `members` was taken, epoch ms (null: no answer yet). */
  at: number | null = null;
  error: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly consumer: Consumer, private readonly topic: string) {}

  start(): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), GROUP_VIEW_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One description (skipped while the previous one is still waiting for the broker). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const d = await this.consumer.describeGroup();
      this.members = d.members.map((m) => ({
        memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: assignedPartitions(m.memberAssignment, this.topic),
      })).sort((a, b) => (a.partitions[0] ?? Infinity) - (b.partitions[0] ?? Infinity) || a.memberId.localeCompare(b.memberId));
      this.at = Date.now();
      this.error = null;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.polling = false;
    }
  }
}

/** `topic`'s partitions in a described member's assignment bytes, ascending (none while the group rebalances: the bytes are empty). */
export function assignedPartitions(bytes: Buffer, topic: string): number[] {
  if (bytes.length === 0) return [];
  const a = AssignerProtocol.MemberAssignment.decode(bytes);
  return [...(a?.assignment[topic] ?? [])].sort((x, y) => x - y);
}
