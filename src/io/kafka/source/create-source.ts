import type { ResolvedOptions } from '../../../options.js';
import { SabreError } from '../../../errors.js';
import type { IngestPort } from '../../sources/ingest-port.js';
import { createConsumer, createKafka, errorText, topicOf } from '../kafka-client.js';
import { KafkaSource } from './kafka-source.js';
import type { KafkaPosition } from './offset-tracker.js';

/** Plugin entry (src/io/plugins.ts) of `--source kafka:TOPIC`: connects and subscribes its consumer group. */
export async function createSource(spec: string, options: ResolvedOptions, port: IngestPort, resume?: unknown): Promise<KafkaSource> {
  const topic = topicOf(spec);
  if (!topic) throw new SabreError('ERR_INVALID_OPTION', `--source "${spec}": name a topic, e.g. kafka:trades`);
  const consumer = createConsumer(createKafka(options.brokers), { groupId: options.group });
  try {
    await consumer.connect();
    // A group without committed offsets starts at the beginning of the topic: a job replays what is there.
    await consumer.subscribe({ topic, fromBeginning: true });
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    throw new SabreError('ERR_SOURCE', `--source ${spec}: cannot reach Kafka at ${options.brokers}: ${errorText(e)}`, { cause: e });
  }
  return new KafkaSource(topic, options.group, consumer, port, options.format, { time: options.time, value: options.value },
    options.checkpointDir !== undefined, (resume as KafkaPosition[] | undefined) ?? [],
    { outOfOrderness: options.outOfOrderness, idleTimeout: options.idleTimeout });
}
