// A job's changelog topic: compacted, one partition per input partition
// (unit p's state lives in changelog partition p). Created when missing; an
// existing one that would lose or misplace state is refused, never altered:
// its contents belong to whoever made it.
import { SabreError } from '../../../errors.js';
import { ConfigResourceTypes, ensureTopic, errorText, type Admin } from '../kafka-client.js';

/**
 * min.compaction.lag.ms of a changelog topic. Compaction keeps the latest
 * value of each key, so a reader that reads the topic up to its end sees a
 * head whose chunks were compacted away only if newer chunks with the same
 * keys exist, and then their newer head too: by the end, the state it keeps
 * is complete. The exception is a record written after the reader fixed its
 * end offsets: compacting the older chunks (or head) it replaces, while the
 * reader has not read them yet, would leave the reader a head without its
 * chunks, or no head at all. The cleaner leaves alone every record younger
 * than this lag (and, since they are not in its cleanable range, the older
 * values they replace) and everything past the last stable offset, so a read
 * that takes less than the lag from its start is safe. 10 minutes is far
 * more than reading a partition's state takes (hundreds of MB at tens of MB/s)
 * and bounds what stays uncompacted to 10 minutes of checkpoints.
 */
export const CHANGELOG_MIN_COMPACTION_LAG_MS = 10 * 60_000;

/**
 * Create `topic` compacted with `partitions` partitions unless it exists, and
 * wait until every partition has a leader. `replicationFactor` omitted: the
 * broker's default.replication.factor. An existing topic must have exactly
 * `partitions` partitions and `compact` in its cleanup.policy
 * (ERR_CHANGELOG_INVALID otherwise).
 */
export async function ensureChangelogTopic(admin: Admin, topic: string, partitions: number, replicationFactor?: number): Promise<'created' | 'exists'> {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new SabreError('ERR_INVALID_OPTION', `changelog topic ${topic}: ${partitions} partitions asked; it needs one per input partition (1 or more)`);
  }
  let created = false;
  if (!(await admin.listTopics()).includes(topic)) {
    try {
      created = await admin.createTopics({
        topics: [{
          topic,
          numPartitions: partitions,
          replicationFactor: replicationFactor ?? -1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.compaction.lag.ms', value: String(CHANGELOG_MIN_COMPACTION_LAG_MS) },
          ],
        }],
        waitForLeaders: false,
      });
    } catch (e) {
      // Another member created it meanwhile: checked below like any existing topic.
      if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS' && !hasAlreadyExists(e)) throw e;
    }
  }
  await ensureTopic(admin, topic, partitions);
  if (created) return 'created';
  await checkChangelogTopic(admin, topic, partitions);
  return 'exists';
}

/** kafkajs reports a failed topic of createTopics as a KafkaJSAggregateError whose errors carry the type. */
function hasAlreadyExists(e: unknown): boolean {
  const errors = (e as { errors?: { type?: string }[] }).errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
}

/** Whether `topic` exists. */
export async function changelogTopicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

/** ERR_CHANGELOG_INVALID unless `topic` has `partitions` partitions and is compacted. */
async function checkChangelogTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const has = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  if (has !== partitions) {
    throw new SabreError('ERR_CHANGELOG_INVALID',
      `changelog topic ${topic} has ${has} partitions, this job needs ${partitions} (one per partition of its input topic). ` +
      'It belongs to another job or to this job before its input topic was repartitioned: give the job another changelog topic, ' +
      `or delete this one (its state is lost: kafka-topics.sh --delete --topic ${topic}) to have it created anew`);
  }
  let policy: string | undefined;
  try {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    policy = resources[0]?.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue;
  } catch (e) {
    throw new SabreError('ERR_SOURCE', `changelog topic ${topic}: cannot read its configuration: ${errorText(e)}`, { cause: e });
  }
  if (!(policy ?? '').split(',').map((s) => s.trim()).includes('compact')) {
    throw new SabreError('ERR_CHANGELOG_INVALID',
      `changelog topic ${topic} has cleanup.policy=${policy ?? '(none)'}, not compact: its units' states would be deleted by age. ` +
      `Make it compacted (kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config cleanup.policy=compact) ` +
      'or give the job another changelog topic');
  }
}
