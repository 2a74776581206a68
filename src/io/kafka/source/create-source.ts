import type { ResolvedOptions } from '../../../options.js';
import { SabreError } from '../../../errors.js';
import type { IngestPort } from '../../sources/ingest-port.js';
import { createAdmin, createConsumer, createKafka, errorText, topicOf } from '../kafka-client.js';
import { KafkaSource } from './kafka-source.js';
import { GroupMember } from './group-member.js';
import { transactionTimeoutFor } from '../sink/transactional-sink.js';

/** A restore waits for a dead member's transaction to time out, and this long more for the broker to abort it and the read. */
const RESTORE_MARGIN_MS = 60_000;
import { jobFingerprint } from '../../../checkpoint/manifest.js';
import type { KafkaPosition } from './offset-tracker.js';
import { startPositions } from './start-from.js';
import { KafkaReplaySource } from './replay-source.js';
import { replayOffsets } from './replay-range.js';

/** Plugin entry (src/io/plugins.ts) of `--source kafka:TOPIC`: connects and subscribes its consumer group. */
export async function createSource(spec: string, options: ResolvedOptions, port: IngestPort, resume?: unknown): Promise<KafkaSource | KafkaReplaySource> {
  const topic = topicOf(spec);
  if (!topic) throw new SabreError('ERR_INVALID_OPTION', `--source "${spec}": name a topic, e.g. kafka:trades`);
  const kafka = createKafka(options.brokers);
  if (options.replay) return createReplaySource(kafka, spec, topic, options, port);
  const consumer = createConsumer(kafka, { groupId: options.group });
  let start: KafkaPosition[];
  try {
    start = await startPositionsOf(kafka, options, topic);
    await consumer.connect();
    // A partition without a committed offset starts at its beginning (a job replays what is there),
    // unless --start-from gave it another position (`start`, seeked on GROUP_JOIN).
    await consumer.subscribe({ topic, fromBeginning: true });
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    throw new SabreError('ERR_SOURCE', `--source ${spec}: cannot reach Kafka at ${options.brokers}: ${errorText(e)}`, { cause: e });
  }
  // --changelog: a member of a scaled-out job, whose partitions' state is restored from the changelog at each assignment.
  const member = options.changelog !== undefined ? new GroupMember({
    topic, group: options.group, brokers: options.brokers, changelog: options.changelog, job: jobFingerprint(options), dir: options.checkpointDir!,
    restoreTimeoutMs: transactionTimeoutFor(options.checkpointInterval, true) + RESTORE_MARGIN_MS,
  }) : undefined;
  return new KafkaSource(topic, options.group, consumer, port, options.format, { time: options.time, value: options.value },
    options.checkpointDir !== undefined, (resume as KafkaPosition[] | undefined) ?? [],
    { outOfOrderness: options.outOfOrderness, idleTimeout: options.idleTimeout }, start, member);
}

/** --start-from's positions (start-from.ts); none to look up for committed and earliest. */
async function startPositionsOf(kafka: ReturnType<typeof createKafka>, options: ResolvedOptions, topic: string): Promise<KafkaPosition[]> {
  if (options.startFrom.kind === 'committed' || options.startFrom.kind === 'earliest') return [];
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    return await startPositions(admin, options.group, topic, options.startFrom);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * --replay: the range's offsets per partition, looked up once now, and a
 * consumer in a throwaway group of its own (never committed, deleted at the
 * end), so --group's committed offsets are never moved.
 */
async function createReplaySource(kafka: ReturnType<typeof createKafka>, spec: string, topic: string,
  options: ResolvedOptions, port: IngestPort): Promise<KafkaReplaySource> {
  const group = `sabre-replay-${topic}-${process.pid}-${Date.now().toString(36)}`;
  const admin = createAdmin(kafka);
  const consumer = createConsumer(kafka, { groupId: group });
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new SabreError('ERR_SOURCE', `--source ${spec} --replay: topic "${topic}" does not exist`);
    const ranges = await replayOffsets(admin, topic, options.replay!);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return new KafkaReplaySource(topic, group, consumer, admin, port, options.format, { time: options.time, value: options.value },
      options.outOfOrderness, ranges);
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    if (e instanceof SabreError) throw e;
    throw new SabreError('ERR_SOURCE', `--source ${spec} --replay: cannot reach Kafka at ${options.brokers}: ${errorText(e)}`, { cause: e });
  }
}
