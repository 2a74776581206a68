// Sending changelog messages. kafkajs puts all the messages of one send()
// for one partition into one record batch, and the broker refuses a batch
// larger than max.message.bytes (1 MiB by default): two chunks of a unit in
// one send would be refused. So a send carries at most SEND_BYTES of values,
// which is one chunk, or many heads and tombstones.
import type { Sender } from '../kafka-client.js';
import { CHUNK_BYTES, type ChangelogMessage } from './changelog-record.js';

/** Most value bytes in one send(): one full chunk and its header, under the broker's 1 MiB batch limit. */
const SEND_BYTES = CHUNK_BYTES + (64 << 10);

/**
 * Send `messages` to `topic`, in order, through `sender` (a transaction of
 * the job's transactional producer, so they commit with its outputs and
 * offsets). Rejects as the sender's send() does; the caller decides whether
 * the transaction can go on.
 */
export async function sendChangelogMessages(sender: Sender, topic: string, messages: readonly ChangelogMessage[]): Promise<void> {
  for (let i = 0; i < messages.length;) {
    const batch = [];
    for (let bytes = 0; i < messages.length; i++) {
      const size = messages[i]!.value?.length ?? 0;
      if (batch.length > 0 && bytes + size > SEND_BYTES) break;
      batch.push(messages[i]!);
      bytes += size;
    }
    await sender.send({ topic, messages: batch });
  }
}
