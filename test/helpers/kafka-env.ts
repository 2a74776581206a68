// Shared by the Kafka test files: the broker from the global setup, unique
// names, producing the generator's records, reading a topic back, committed
// offsets. Everything talks to the real broker through Sabre's own client
// factories (dist/src/io/kafka/kafka-client.js), like the engine does.
import { describe, inject } from 'vitest';
import type { Engine } from '../../dist/src/index.js';
import {
  createAdmin, createConsumer, createKafka, createProducer, ensureTopic, fetchHighWatermarks,
} from '../../dist/src/io/kafka/kafka-client.js';
import type { KafkaSource } from '../../dist/src/io/kafka/source/kafka-source.js';
import { TradeMessages } from '../../dist/src/io/generator/trade-messages.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';

export const brokers: string = inject('kafkaBrokers');

/** describe(), or describe.skip() with the reason when no broker could be started (never in CI: setup throws there). */
export const describeKafka: typeof describe = (brokers ? describe : describe.skip) as typeof describe;

/**
 * --idle-timeout for Kafka tests: effectively never. A Kafka partition is idle
 * after the timeout without records (src/time/input-watermarks.ts), counted
 * from its assignment or last record; one whose next fetch after a restart or
 * a broker outage comes more than the timeout later than another's would stop
 * holding the watermark back meanwhile and its first records could be late.
 * These tests check exact results against the reference, so they switch
 * idleness off (kafka-partition-watermarks.test.ts runs with it on).
 */
export const NO_IDLE = '1000000000h';

let n = 0;
/** A topic or group name no other test (or earlier run on a kept broker) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${n++}`;
}

export interface TradeSpec {
  count: number;
  keys: number;
  seed: number;
  disorder: number;
  eventsPerMs: number;
  format?: 'json' | 'flatbuffers';
}

/** Create `topic` with `partitions` partitions unless it exists, and wait for its leaders. */
export async function createTopic(kafka: ReturnType<typeof createKafka>, topic: string, partitions: number): Promise<void> {
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    await ensureTopic(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produce records [from, to) of the generator sequence to `topic` (created
 * with 8 partitions if missing), keyed by record key, `perSend` per send,
 * waiting `pauseMs` between sends (pacing). Retries through broker outages.
 */
export async function produceTrades(topic: string, spec: TradeSpec, range: { from?: number; to?: number; perSend?: number; pauseMs?: number } = {}): Promise<void> {
  const kafka = createKafka(brokers, 'sabre-test-producer');
  await createTopic(kafka, topic, 8);
  const producer = createProducer(kafka);
  await producer.connect();
  const gen = new TradeMessages({ kind: 'trades', seed: spec.seed, keys: spec.keys, disorder: spec.disorder, eventsPerMs: spec.eventsPerMs,
    format: spec.format ?? 'json', rate: 0, startWallMs: 0 });
  const from = range.from ?? 0;
  const to = range.to ?? spec.count;
  const perSend = range.perSend ?? 2000;
  try {
    for (let i = 0; i < from; i++) gen.next(i); // the model draws in order
    for (let i = from; i < to;) {
      const messages = [];
      for (const end = Math.min(to, i + perSend); i < end; i++) {
        const value = gen.next(i);
        messages.push({ key: gen.key, value });
      }
      await sendUntilAcked(producer, topic, messages, () => {});
      if (range.pauseMs) await new Promise((r) => setTimeout(r, range.pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

export interface TopicMessage {
  key: string | null;
  value: Buffer;
  partition: number;
  offset: string;
}

/** Every message of `topic` (reads until the end offsets seen at call time are reached). */
export async function readTopic(topic: string, timeoutMs = 60_000): Promise<TopicMessage[]> {
  const kafka = createKafka(brokers, 'sabre-test-reader');
  const admin = createAdmin(kafka);
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = ends.reduce((a, p) => a + (Number(p.high) - Number(p.low)), 0);
  const out: TopicMessage[] = [];
  if (want === 0) return out;
  const consumer = createConsumer(kafka, { groupId: unique('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        out.push({ key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), partition: batch.partition, offset: m.offset });
      }
      if (out.length >= want) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  await done;
  clearTimeout(timer);
  await consumer.disconnect();
  if (out.length < want) throw new Error(`readTopic ${topic}: read ${out.length} of ${want} messages in ${timeoutMs} ms`);
  return out;
}

/**
 * Every message of `topic` a consumer sees under `isolation`, read up to the
 * end offsets at call time. Unlike readTopic it does not count messages (aborted
 * records and transaction markers take offsets too): it reads until its
 * position reached every partition's end, control batches included. Needs no
 * open transaction on the topic (read_committed stops at the first one).
 */
export async function readIsolated(topic: string, isolation: 'read_committed' | 'read_uncommitted', timeoutMs = 60_000): Promise<TopicMessage[]> {
  const kafka = createKafka(brokers, 'sabre-test-reader');
  const admin = createAdmin(kafka);
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const reached = new Map<number, bigint>();
  const done = (): boolean => [...ends].every(([p, end]) => end === 0n || (reached.get(p) ?? -1n) >= end - 1n);
  const out: TopicMessage[] = [];
  if (done()) return out;
  const consumer = createConsumer(kafka, { groupId: unique('reader'), readUncommitted: isolation === 'read_uncommitted' });
  let resolveDone!: () => void;
  const finished = new Promise<void>((r) => { resolveDone = r; });
  // Batches of only markers or aborted records reach no eachBatch call, but do end a batch.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const last = BigInt(payload.lastOffset);
    if (last > (reached.get(payload.partition) ?? -1n)) reached.set(payload.partition, last);
    if (done()) resolveDone();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        out.push({ key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), partition: batch.partition, offset: m.offset });
      }
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  if (!done()) throw new Error(`readIsolated ${topic} (${isolation}): not at the end of every partition after ${timeoutMs} ms`);
  return out;
}

/**
 * Wait until no transaction is open on `topic`: every partition's last stable
 * offset (what read_committed readers, readIsolated included, can reach)
 * equals its high watermark. A member killed mid-transaction, and not
 * replaced by a process with its transactional id, leaves one open until the
 * broker aborts it after its transaction timeout.
 */
export async function settled(topic: string, timeoutMs = 60_000): Promise<void> {
  const kafka = createKafka(brokers, 'sabre-test-admin');
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    await until(async () => {
      const stable = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
      const high = await fetchHighWatermarks(kafka, topic);
      return high.every((p) => stable.get(p.partition) === p.high);
    }, `no open transaction on ${topic}`, timeoutMs, 250);
  } finally {
    await admin.disconnect();
  }
}

/** Committed offset per partition of `group` on `topic` (-1 = none), and the topic's end offsets. */
export async function groupOffsets(group: string, topic: string): Promise<{ committed: Map<number, number>; ends: Map<number, number> }> {
  const admin = createAdmin(createKafka(brokers, 'sabre-test-admin'));
  await admin.connect();
  try {
    const [c] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return {
      committed: new Map(c!.partitions.map((p) => [p.partition, Number(p.offset)])),
      ends: new Map(ends.map((p) => [p.partition, Number(p.high)])),
    };
  } finally {
    await admin.disconnect();
  }
}

/** Whether `group` committed every partition of `topic` to its end (the end offsets now). */
export async function drained(group: string, topic: string): Promise<boolean> {
  const { committed, ends } = await groupOffsets(group, topic);
  return [...ends].every(([p, end]) => (committed.get(p) ?? -1) >= end);
}

export function sum(m: Map<number, number>): number {
  let s = 0;
  for (const v of m.values()) s += Math.max(0, v);
  return s;
}

/**
 * The engine's Kafka source object.
 */
export function kafkaSourceOf(engine: Engine): KafkaSource {
  const s = engine.options.source.startsWith('kafka:') ? engine.source(engine.options.source) : undefined;
  if (!s) throw new Error('no Kafka source in this engine');
  return s as unknown as KafkaSource;
}

/** Poll `cond` every `everyMs` until true; throws after `timeoutMs` with `what`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 20): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
