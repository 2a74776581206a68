// The one module that uses kafkajs (loaded through record-batch-decoder.ts,
// which puts Sabre's record batch decoder into it first). Everything else in
// Sabre talks to Kafka through these factories and the types re-exported
// here, so another client (e.g. a librdkafka binding) could replace kafkajs
// in these two files only.
//
// Defaults (stated once, here):
// - logs: WARN and ERROR only, one line each on stderr, prefixed "[sabre kafka]".
// - consumer: sessionTimeout 6 s, heartbeatInterval 1 s (a third of the session
//   timeout or less, as kafkajs asks): a member that died is noticed within 6 s,
//   so a restarted job or a broker outage costs seconds, not the 30 s default
//   (measured in scripts/kafka/README.md: ~4 s vs ~28 s to catch up after a
//   10 s outage). rebalanceTimeout 20 s. maxWaitTimeInMs 100: an idle fetch
//   returns within 100 ms, so stop() and low-rate latency are not held for
//   kafkajs's default 5 s. Isolation read_committed (kafkajs's default): a
//   topic written by a transactional Sabre sink is read without aborted results.
//   maxBytesPerPartition 256 KiB (kafkajs: 1 MiB): a fetch of 8 partitions
//   holds about 2 MiB of records instead of 8, so fewer of them live through
//   a young-generation GC while the batch is worked off; bench:kafka, 3
//   rounds each on the 2-vCPU VM: stock kafkajs 0.74 → 0.92 M rec/s, Sabre
//   1.74 → 2.06 M rec/s (128 KiB measured between the two).
// - retries: 100 ms initial backoff, 10 attempts, 5 s cap per wait; the consumer
//   restarts itself after a crash that kafkajs deems retriable.
// - producer: idempotent (acks=all, retries unbounded), one request in flight per
//   broker, so a retry can neither duplicate nor reorder; Kafka's Java-compatible
//   murmur2 partitioner, so a key's Kafka partition and its Sabre key group agree.
// - transactional producer (the transactional sink): the same, plus a
//   transactional.id and a transaction timeout sized to the checkpoint interval.
import { kafkajs } from './source/record-batch-decoder.js';
import type { Admin, Consumer, LogEntry, Producer, Kafka as KafkaClient } from 'kafkajs';

export { kafkaDecoder, KAFKA_READS_WITH, RecordView } from './source/record-batch-decoder.js';
export type { Admin, Consumer, Producer, EachBatchPayload, KafkaMessage, Batch, Message, Transaction } from 'kafkajs';

/** What can send a batch of messages: a producer, or a transaction of one. */
export type Sender = Pick<Producer, 'send'>;

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Resource types of admin.describeConfigs (TOPIC, BROKER, ...). */
export const { ConfigResourceTypes } = kafkajs;

/** Encodes and decodes group members' metadata and assignments (a described group's memberAssignment bytes). */
export const { AssignerProtocol } = kafkajs;

export const KAFKA_DEFAULTS = {
  clientId: 'sabre',
  sessionTimeout: 6000,
  heartbeatInterval: 1000,
  rebalanceTimeout: 20_000,
  maxWaitTimeInMs: 100,
  maxBytesPerPartition: 256 << 10,
  maxBytes: 10 << 20,
  retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
} as const;

/** Partitions of a topic Sabre creates (`sabre produce`, the Kafka sink), like the local broker's num.partitions. */
export const NEW_TOPIC_PARTITIONS = 8;

/** `--brokers "h1:9092,h2:9092"` → ["h1:9092", "h2:9092"]. */
export function parseBrokers(brokers: string): string[] {
  return brokers.split(',').map((b) => b.trim()).filter(Boolean);
}

/** `kafka:TOPIC` → TOPIC. */
export function topicOf(spec: string): string {
  return spec.startsWith('kafka:') ? spec.slice('kafka:'.length) : spec;
}

const LEVEL_NAMES: Record<number, string> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };

/**
 * Errors kafkajs logs at ERROR level although it retries them itself and they
 * are expected on a fresh broker or group (scripts/kafka/README.md): not shown.
 */
const RETRIED_BY_KAFKAJS = /group coordinator is not available|coordinator is loading|concurrent operation on the same transaction/i;

/** The same log line (level, namespace, message) is shown at most once per this interval, with a count of the ones held back. */
const REPEAT_MS = 5000;

/**
 * kafkajs log lines → one stderr line each, WARN and above. A broker outage
 * makes every retry log the same ERROR: repeats are folded into a count.
 */
function logCreator(): (entry: LogEntry) => void {
  const seen = new Map<string, { at: number; held: number }>();
  return ({ namespace, level, log }) => {
    const { message, timestamp: _t, logger: _l, stack: _s, retryCount: _r, retryTime: _rt, ...extra } = log;
    // CONCURRENT_TRANSACTIONS: the first send after a commit, while the broker writes the commit markers.
    if ((typeof extra.error === 'string' && RETRIED_BY_KAFKAJS.test(extra.error)) || RETRIED_BY_KAFKAJS.test(message)) return;
    const key = `${level} ${namespace} ${message}`;
    const now = Date.now();
    const prev = seen.get(key);
    if (prev && now - prev.at < REPEAT_MS) {
      prev.held++;
      return;
    }
    if (seen.size > 1000) seen.clear();
    seen.set(key, { at: now, held: 0 });
    const held = prev && prev.held > 0 ? ` (${prev.held} more like it held back)` : '';
    const detail = Object.keys(extra).length > 0 ? ` ${safeJson(extra)}` : '';
    process.stderr.write(`[sabre kafka] ${LEVEL_NAMES[level] ?? level} ${namespace}: ${message}${detail}${held}\n`);
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export function createKafka(brokers: string, clientId: string = KAFKA_DEFAULTS.clientId): KafkaClient {
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    logLevel: logLevel.WARN,
    logCreator,
    retry: { ...KAFKA_DEFAULTS.retry },
  });
}

export interface ConsumerSettings {
  groupId: string;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  /** true: also records of open and aborted transactions (read_uncommitted). */
  readUncommitted?: boolean;
}

export function createConsumer(kafka: KafkaClient, s: ConsumerSettings): Consumer {
  const d = KAFKA_DEFAULTS;
  return kafka.consumer({
    groupId: s.groupId,
    sessionTimeout: s.sessionTimeout ?? d.sessionTimeout,
    heartbeatInterval: s.heartbeatInterval ?? d.heartbeatInterval,
    rebalanceTimeout: d.rebalanceTimeout,
    maxWaitTimeInMs: d.maxWaitTimeInMs,
    maxBytesPerPartition: s.maxBytesPerPartition ?? d.maxBytesPerPartition,
    maxBytes: d.maxBytes,
    readUncommitted: s.readUncommitted ?? false,
    retry: { ...d.retry },
  });
}

export interface TransactionSettings {
  transactionalId: string;
  /** How long the broker lets a transaction stay open before aborting it (ms). */
  transactionTimeout: number;
}

export function createProducer(kafka: KafkaClient, tx?: TransactionSettings): Producer {
  return kafka.producer({
    ...(tx ? { transactionalId: tx.transactionalId, transactionTimeout: tx.transactionTimeout } : {}),
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Idempotence needs unbounded retries (kafkajs warns otherwise); connection
    // failures still reject send(), and the caller retries those.
    retry: { ...KAFKA_DEFAULTS.retry, retries: Number.MAX_SAFE_INTEGER },
    // Metadata for a topic the producer has not seen is fetched on first send.
    allowAutoTopicCreation: true,
  });
}

export function createAdmin(kafka: KafkaClient): Admin {
  return kafka.admin();
}

/**
 * Create `topic` with `partitions` partitions unless it exists, then wait
 * until every partition has a leader; true if it was created. kafkajs's own
 * waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker that
 * has just started answers for a while, so the wait is ours.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let created = false;
  for (;;) {
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        created = (await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false })) || created;
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const meta = topics.find((t) => t.name === topic);
      if (meta && meta.partitions.length > 0 && meta.partitions.every((p) => p.leader >= 0)) return created;
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type !== 'TOPIC_ALREADY_EXISTS' && !isTransient(e)) throw e;
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: no leader for every partition after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** kafkajs's ISOLATION_LEVEL.READ_UNCOMMITTED (src/protocol/isolationLevel.js). */
const READ_UNCOMMITTED = 0;

interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[]):
    Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/**
 * Each partition of `topic` with its high watermark (`high`: the offset after
 * its last record, records of open transactions included) and its log start
 * (`low`). admin.fetchTopicOffsets lists offsets read_committed (its `high` is
 * the last stable offset, which also lags a committed transaction until its
 * markers are written) and has no option for the other, so this asks through
 * a cluster client of kafkajs's own made read_uncommitted, from the Kafka
 * object's private factory (checked: a kafkajs without it fails here, clearly).
 */
export async function fetchHighWatermarks(kafka: KafkaClient, topic: string): Promise<{ partition: number; high: string; low: string }[]> {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') throw new Error('this kafkajs has no cluster factory Sabre can list high watermarks with');
  // allowAutoTopicCreation false: asking about a topic must not create it (a broker with auto.create.topics.enable would).
  const cluster = (create as (o: { isolationLevel: number; allowAutoTopicCreation: boolean }) => KafkaJsCluster)
    .call(kafka, { isolationLevel: READ_UNCOMMITTED, allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadataIfNecessary();
    const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
    if (partitions.length === 0) return [];
    const [high] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }]);
    const [low] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: true, partitions }]);
    return high!.partitions.map(({ partition, offset }) => ({
      partition, high: offset, low: low!.partitions.find((l) => l.partition === partition)!.offset,
    })).sort((a, b) => a.partition - b.partition);
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}

const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound', 'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded', 'KafkaJSNoBrokerAvailableError', 'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout', 'KafkaJSGroupCoordinatorNotFound',
]);

/**
 * Whether trying again later can help: a connection problem, a timeout, or a
 * protocol error Kafka marks retriable, anywhere in the cause chain. kafkajs
 * wraps a refused connection in a KafkaJSNonRetriableError once its own
 * retries are spent (scripts/kafka/README.md), so the chain is what counts.
 */
export function isTransient(e: unknown): boolean {
  for (let c = e as { name?: string; retriable?: boolean; cause?: unknown; code?: string } | undefined, depth = 0;
    c && depth < 8; c = c.cause as typeof c, depth++) {
    if (c.retriable === true) return true;
    if (c.name && TRANSIENT_NAMES.has(c.name)) return true;
    if (typeof c.code === 'string' && /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH)$/.test(c.code)) return true;
  }
  return false;
}

/**
 * `op` again while it fails transiently (isTransient: a broker that just
 * started loading its coordinators, a partition without a leader yet),
 * backing off up to a second, `attempts` times in all; any other error, or
 * the last one, is thrown.
 */
export async function retryTransient<T>(op: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= attempts || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
    }
  }
}

/** REBALANCE_IN_PROGRESS, NOT_COORDINATOR_FOR_GROUP, ILLEGAL_GENERATION: the group is re-forming. */
export function isRebalancing(e: unknown): boolean {
  const t = (e as { type?: string } | undefined)?.type;
  return t === 'REBALANCE_IN_PROGRESS' || t === 'NOT_COORDINATOR_FOR_GROUP' || t === 'ILLEGAL_GENERATION';
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string } | undefined;
  return err?.message ? `${err.name ?? 'Error'}: ${err.message}` : String(e);
}
