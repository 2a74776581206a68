// Each checkpoint's state, per Kafka input partition, into the job's changelog
// topic, inside the transaction that commits the checkpoint's results and
// source offsets (TransactionalKafkaSink.beforeCommit): state, output and
// offsets of a partition move together or not at all (DESIGN.md §7).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath, type Manifest } from '../../../checkpoint/manifest.js';
import { snapshotFileName } from '../../../checkpoint/snapshot-writer.js';
import type { Sender } from '../kafka-client.js';
import type { KafkaPosition } from '../source/offset-tracker.js';
import { chunkCount, changelogMessages } from './changelog-record.js';
import { sendChangelogMessages } from './changelog-send.js';

/** What the changelog cost so far (stats). */
export interface ChangelogWrites {
  topic: string;
  /** Checkpoints whose state was written (in their transaction), bytes of state and messages sent. */
  checkpoints: number;
  bytes: number;
  messages: number;
  /** The last checkpoint's write, ms (reading the files and every send acknowledged). */
  lastWriteMs: number;
}

const EMPTY = new Uint8Array(0);

export class ChangelogWriter {
  readonly stats: ChangelogWrites;
  /** Chunks each partition's last written state had: a smaller state tombstones the rest. */
  private readonly chunks = new Map<number, number>();

  constructor(readonly topic: string, private readonly dir: string, private readonly source: string) {
    this.stats = { topic, checkpoints: 0, bytes: 0, messages: 0, lastWriteMs: 0 };
  }

  /**
   * Send checkpoint m's state through `txn`: one unit per partition the
   * checkpoint has a source position for — the partitions this member owns
   * and has read or restored; others are other members' and are never
   * touched. A final checkpoint (END fired every window) writes empty state
   * with the final positions, so nobody restores windows already fired.
   */
  async write(txn: Sender, m: Manifest): Promise<void> {
    const t0 = performance.now();
    const positions = (m.sources.find((s) => s.name === this.source)?.position ?? []) as KafkaPosition[];
    const base = checkpointPath(this.dir, m.id);
    const files = new Set(m.snapshots.map((s) => s.file));
    let bytes = 0;
    let sent = 0;
    for (const { partition, offset } of positions) {
      const file = snapshotFileName({ partition });
      const state = m.final || !files.has(file) ? EMPTY : readFileSync(join(base, file));
      const messages = changelogMessages({ partition, checkpoint: m.id, job: m.job, sourceOffset: offset, state }, this.chunks.get(partition) ?? 0);
      await sendChangelogMessages(txn, this.topic, messages);
      this.chunks.set(partition, chunkCount(state.length));
      bytes += state.length;
      sent += messages.length;
    }
    const st = this.stats;
    st.checkpoints++;
    st.bytes += bytes;
    st.messages += sent;
    st.lastWriteMs = performance.now() - t0;
  }
}
