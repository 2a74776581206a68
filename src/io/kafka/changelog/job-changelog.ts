// --changelog, wired into the run's transactional sink when it opens: the
// source topic's partitions must be the job's (one ring each), the changelog
// topic is created or checked, and each checkpoint's transaction carries its
// state. Restoring is the source's (src/io/kafka/source/group-member.ts).
import { SabreError } from '../../../errors.js';
import type { ResolvedOptions } from '../../../options.js';
import { errorText, topicOf, type Admin } from '../kafka-client.js';
import type { TransactionalKafkaSink } from '../sink/transactional-sink.js';
import { changelogTopicExists, ensureChangelogTopic } from './changelog-topic.js';
import { ChangelogWriter, type ChangelogWrites } from './changelog-writer.js';

export async function attachChangelog(sink: TransactionalKafkaSink, o: ResolvedOptions, admin: Admin): Promise<ChangelogWrites> {
  const topic = o.changelog!;
  const source = topicOf(o.source);
  await checkPartitions(admin, source, o.partitions);
  if (!(await changelogTopicExists(admin, topic))) await refuseLostState(admin, o, source, topic);
  const created = await ensureChangelogTopic(admin, topic, o.partitions);
  if (created === 'created') process.stderr.write(`[sabre] changelog topic ${topic} created (${o.partitions} partitions, compacted)\n`);
  const writer = new ChangelogWriter(topic, o.checkpointDir!, o.source);
  sink.beforeCommit = (txn, m) => writer.write(txn, m);
  return writer.stats;
}

/**
 * The group committed offsets (which it only does with state, in one
 * transaction) but the changelog is gone: creating it empty would restart
 * every open window from nothing, silently.
 */
async function refuseLostState(admin: Admin, o: ResolvedOptions, source: string, topic: string): Promise<void> {
  const [t] = await admin.fetchOffsets({ groupId: o.group, topics: [source] });
  const committed = (t?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => p.partition);
  if (committed.length === 0) return;
  throw new SabreError('ERR_CHANGELOG_MISSING', `group "${o.group}" committed offsets of ${source} (partitions ${committed.join(', ')}), `
    + `but the changelog topic "${topic}" that holds their state does not exist: the job's state is lost. Restore the topic, `
    + 'or start the job afresh on purpose (a new --group and a new sink topic)');
}

/**
 * One ring per Kafka partition, and the same key → partition map as Kafka's
 * partitioner (options/changelog.ts aligns key groups): so a ring's state is
 * exactly one Kafka partition's, and goes to that changelog partition.
 */
async function checkPartitions(admin: Admin, topic: string, partitions: number): Promise<void> {
  let count: number;
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    count = topics[0]?.partitions.length ?? 0;
  } catch (e) {
    throw new SabreError('ERR_INVALID_OPTION', `--changelog: cannot read the partitions of the source topic "${topic}" (${errorText(e)}): `
      + 'create the topic before the job starts; its partitions are the units of the job\'s state');
  }
  if (count !== partitions) {
    throw new SabreError('ERR_INVALID_OPTION', `--changelog: the source topic "${topic}" has ${count} partitions and the job ${partitions}: `
      + `give --partitions ${count} (each Kafka partition's state is one ring's, written to its own changelog partition)`);
  }
}
