// Sabre's decoder for Kafka record batches (magic 2), installed into kafkajs
// in place of its own, and the kafkajs module loaded after it. Everything
// else in Sabre reaches kafkajs through kafka-client.ts, which imports it from
// here, so the decoder is always in before kafkajs captures its modules.
//
// Why: kafkajs builds each record with a Decoder object, a Buffer per record,
// key and value, a headers object, and offset and timestamp strings made
// through its Long class (parse the batch's base offset from a string, add,
// print) — three Long parses per record with the batch's offset filter, and
// a third of its time collecting that garbage. On the project's 2-vCPU VM a
// bare consumer's main thread spent 1.1–1.5 µs per record with kafkajs's
// decoder and 0.17–0.31 µs with this one (docs/BENCHMARKS.md, Kafka).
//
// What: one small RecordView per record, holding small integers (deltas,
// positions) and a reference to what its batch shares (bytes, context, base
// offset and timestamp): offset, timestamp, key, value and headers are made
// on access, with the values kafkajs gives (strings, Buffers, the same
// headers object). Sabre's source reads the key and value in place
// (keyStart/valueStart) and never asks for the Buffers. The batch's offset
// filter compares numbers. A batch that is corrupt (a record count or a key
// or value its bytes cannot hold) fails with an error that says so.
//
// Limits (each falls back to kafkajs's own decoder, per batch):
// - a base offset or timestamp beyond what a double holds exactly;
// - SABRE_KAFKA_DECODER=kafkajs in the environment (for comparison, and as an
//   escape hatch);
// - kafkajs already loaded by someone else in this process (then nothing is
//   installed: `kafkaDecoder` says 'kafkajs').
// Compression codecs are kafkajs's own (gzip; others as kafkajs supports them).
import { createRequire } from 'node:module';
import type KafkaJs from 'kafkajs';
import { withoutAborted, type AbortedTransaction, type FetchedRecord } from './aborted-records.js';
import { installRejoinHooks } from './rejoin-hook.js';

const require = createRequire(import.meta.url);

const KAFKAJS = 'kafkajs';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
const BATCH_CLASS = 'kafkajs/src/consumer/batch.js';
const FILTER_ABORTED = 'kafkajs/src/consumer/filterAbortedMessages.js';
const COMPRESSION = 'kafkajs/src/protocol/message/compression/index.js';
const ERRORS = 'kafkajs/src/errors.js';
const LONG = 'kafkajs/src/utils/long.js';

// Record batch attributes (Kafka's DefaultRecordBatch).
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;

/** Base offsets and timestamps above this take kafkajs's decoder: base + a 32-bit delta must stay exact in a double. */
const SAFE_BASE = Number.MAX_SAFE_INTEGER - 2 ** 32;

interface KafkaJsDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  slice(size: number): KafkaJsDecoder;
  forward(size: number): void;
}

/** What kafkajs's record decoder hands every record of a batch as `batchContext`. */
interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  magicByte: number;
}

type Headers = Record<string, Buffer | null | (Buffer | null)[]>;

/** The position in the bytes being decoded: module state, so reading a varint allocates nothing. */
let at = 0;

/** A zigzag varint or varlong at `at`, as a Number (exact up to 2^53, which covers every length, delta and count). */
function varint(b: Uint8Array): number {
  let byte = b[at++]!;
  let n = byte & 0x7f;
  let scale = 128;
  while (byte >= 0x80) {
    byte = b[at++]!;
    n += (byte & 0x7f) * scale;
    scale *= 128;
  }
  return n < 0x80000000 ? (n >>> 1) ^ -(n & 1) : n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

const EMPTY_HEADERS_AT = -1;

/** What the records of one fetched batch share. */
class BatchShared {
  constructor(
    /** The bytes the records lie in: the fetch response's, or a decompressed batch's. */
    readonly bytes: Buffer,
    readonly context: BatchContext,
    readonly baseOffset: number,
    readonly baseTimestamp: number,
  ) {}
}

/**
 * One record of a fetched batch. Reads like kafkajs's message object
 * (offset, timestamp, key, value, headers, attributes, magicByte,
 * isControlRecord, batchContext), but holds only small integers (deltas and
 * positions, no boxed doubles) and a reference to what its batch shares;
 * the Buffers and strings are made when asked for.
 */
export class RecordView {
  constructor(
    private readonly batch: BatchShared,
    private readonly offsetDelta: number,
    private readonly timestampDelta: number,
    readonly attributes: number,
    /** The key is bytes[keyStart, keyStart + keyLength); keyLength -1: no key. */
    readonly keyStart: number,
    readonly keyLength: number,
    /** The value is bytes[valueStart, valueStart + valueLength); valueLength -1: a tombstone. */
    readonly valueStart: number,
    readonly valueLength: number,
    private readonly headersAt: number,
  ) {}

  /** The bytes the record lies in (key and value are ranges of them). */
  get bytes(): Buffer {
    return this.batch.bytes;
  }

  get batchContext(): BatchContext {
    return this.batch.context;
  }

  get offsetNumber(): number {
    return this.batch.baseOffset + this.offsetDelta;
  }

  get offset(): string {
    return String(this.batch.baseOffset + this.offsetDelta);
  }

  get timestamp(): string {
    const c = this.batch.context;
    return c.timestampType === LOG_APPEND_TIME && c.maxTimestamp ? c.maxTimestamp : String(this.batch.baseTimestamp + this.timestampDelta);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.batch.bytes.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.batch.bytes.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  get magicByte(): number {
    return this.batch.context.magicByte;
  }

  get isControlRecord(): boolean {
    return this.batch.context.isControlBatch;
  }

  /** As kafkajs: one entry per header key; a key given more than once maps to an array of its values. */
  get headers(): Headers {
    const out: Headers = {};
    if (this.headersAt === EMPTY_HEADERS_AT) return out;
    const b = this.batch.bytes;
    at = this.headersAt;
    const count = varint(b);
    for (let i = 0; i < count; i++) {
      const keyLength = varint(b);
      const key = b.toString('utf8', at, at + keyLength);
      at += keyLength;
      const valueLength = varint(b);
      const value = valueLength < 0 ? null : b.subarray(at, at + valueLength);
      if (valueLength > 0) at += valueLength;
      const prev = out[key];
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return out;
  }
}

/** Decode `count` records starting at `at` in `b` (kafkajs's Record v0 layout, each prefixed by its length). */
/** The smallest record: a length, attributes, two deltas, key and value lengths and a header count of one byte each. */
const MIN_RECORD_BYTES = 7;

function corrupt(context: BatchContext, what: string): Error {
  return new Error(`Kafka record batch at offset ${context.firstOffset}: ${what} (corrupt batch)`);
}

function decodeRecords(b: Buffer, count: number, end: number, context: BatchContext, baseOffset: number, baseTimestamp: number): RecordView[] {
  // A count no batch of this size can hold is refused before it sizes an array.
  if (count > (end - at) / MIN_RECORD_BYTES) throw corrupt(context, `${count} records in ${end - at} bytes`);
  const records = new Array<RecordView>(count);
  const shared = new BatchShared(b, context, baseOffset, baseTimestamp);
  for (let i = 0; i < count; i++) {
    const length = varint(b);
    const recordEnd = at + length;
    if (recordEnd > end || length < 0) throw corrupt(context, `record ${i} runs past its batch`);
    const attributes = b[at++]!;
    const timestampDelta = varint(b);
    const offsetDelta = varint(b);
    const keyLength = varint(b);
    const keyStart = at;
    if (keyLength > 0) at += keyLength;
    const valueLength = varint(b);
    const valueStart = at;
    if (valueLength > 0) at += valueLength;
    // The header count is the record's last field: key and value must leave room for it.
    if (at >= recordEnd || keyLength < -1 || valueLength < -1) throw corrupt(context, `record ${i}'s key or value runs past the record`);
    const headersAt = b[at] === 0 ? EMPTY_HEADERS_AT : at;
    records[i] = new RecordView(shared, offsetDelta, timestampDelta, attributes,
      keyStart, keyLength, valueStart, valueLength, headersAt);
    at = recordEnd;
  }
  return records;
}

type BatchDecoder = (d: KafkaJsDecoder) => Promise<{ records: unknown[] }>;
type BatchClass = new (topic: string, fetchedOffset: string, partitionData: PartitionData) => object;

interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: unknown[];
}

interface Installed {
  kafkajs: typeof KafkaJs;
  decoder: 'sabre' | 'kafkajs';
  /** What reads record batches and builds kafkajs's Batch now, and what kafkajs has for them (the same when not installed). */
  now: { batchDecoder: BatchDecoder; Batch: BatchClass };
  stock: { batchDecoder: BatchDecoder; Batch: BatchClass };
}

function install(): Installed {
  const kafkajsPath = require.resolve(KAFKAJS);
  const loadedAlready = require.cache[kafkajsPath] !== undefined;
  // kafkajs's filter of aborted records is wrong when aborted transactions interleave (aborted-records.ts): ours
  // replaces it before kafkajs's Batch captures it, for kafkajs's own decoder too.
  if (!loadedAlready) {
    require(FILTER_ABORTED);
    require.cache[require.resolve(FILTER_ABORTED)]!.exports = ({ messages, abortedTransactions }: { messages: FetchedRecord[]; abortedTransactions?: AbortedTransaction[] }) =>
      withoutAborted(messages, abortedTransactions);
  }
  installRejoinHooks();
  const stock = { batchDecoder: require(BATCH_DECODER) as BatchDecoder, Batch: require(BATCH_CLASS) as BatchClass };
  if (process.env.SABRE_KAFKA_DECODER === 'kafkajs' || loadedAlready) {
    return { kafkajs: require(KAFKAJS) as typeof KafkaJs, decoder: 'kafkajs', now: stock, stock };
  }
  const stockBatchDecoder = stock.batchDecoder;
  const StockBatch = stock.Batch;
  const { lookupCodecByAttributes } = require(COMPRESSION) as { lookupCodecByAttributes(a: number): { decompress(b: Buffer): Promise<Buffer> } | null };
  const { KafkaJSPartialMessageError } = require(ERRORS) as { KafkaJSPartialMessageError: new (m: string) => Error };
  const Long = require(LONG) as { fromValue(v: unknown): { gte(o: unknown): boolean } };

  async function batchDecoder(fetchDecoder: KafkaJsDecoder): Promise<{ records: unknown[] }> {
    const head = fetchDecoder.buffer;
    const p = fetchDecoder.offset;
    // FirstOffset int64 @0, Length int32 @8, PartitionLeaderEpoch @12, Magic @16, CRC @17, Attributes @21,
    // LastOffsetDelta @23, FirstTimestamp int64 @27, MaxTimestamp @35, ProducerId @43, ProducerEpoch @51, FirstSequence @53, records @57.
    if (head.length < p + 57) return stockBatchDecoder(fetchDecoder); // kafkajs raises the partial-batch error
    const baseOffset = Number(head.readBigInt64BE(p));
    const baseTimestamp = Number(head.readBigInt64BE(p + 27));
    if (baseOffset > SAFE_BASE || Math.abs(baseTimestamp) > SAFE_BASE) return stockBatchDecoder(fetchDecoder);

    const firstOffset = fetchDecoder.readInt64().toString();
    const length = fetchDecoder.readInt32();
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    if (decoder.buffer.length < length) {
      throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${decoder.buffer.length}) < recordBatchLength(${length})`);
    }
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    decoder.readInt32(); // CRC: not checked, as kafkajs does not
    const attributes = decoder.readInt16();
    const lastOffsetDelta = decoder.readInt32();
    const firstTimestamp = decoder.readInt64().toString();
    const maxTimestamp = decoder.readInt64().toString();
    const producerId = decoder.readInt64().toString();
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();
    const context: BatchContext = {
      firstOffset, firstTimestamp, partitionLeaderEpoch,
      inTransaction: (attributes & TRANSACTIONAL_FLAG) > 0,
      isControlBatch: (attributes & CONTROL_FLAG) > 0,
      lastOffsetDelta, producerId, producerEpoch, firstSequence, maxTimestamp,
      timestampType: (attributes & TIMESTAMP_TYPE_FLAG) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
      magicByte,
    };
    const count = decoder.readInt32();
    let bytes = decoder.buffer;
    let start = decoder.offset;
    const codec = lookupCodecByAttributes(attributes);
    if (count <= 0) return { ...context, records: [] };
    if (codec) {
      bytes = await codec.decompress(bytes.subarray(start));
      start = 0;
    }
    at = start;
    return { ...context, records: decodeRecords(bytes, count, bytes.length, context, baseOffset, baseTimestamp) };
  }

  /**
   * kafkajs's Batch (same prototype, so every method and `instanceof` stay),
   * with the filter to the fetched offset comparing numbers for RecordViews
   * instead of parsing each offset string into a Long.
   */
  function Batch(this: unknown, topic: string, fetchedOffset: string, partitionData: PartitionData): object {
    const { abortedTransactions, messages } = partitionData;
    const batch = Object.create(StockBatch.prototype) as Record<string, unknown>;
    batch.fetchedOffset = fetchedOffset;
    batch.topic = topic;
    batch.partition = partitionData.partition;
    batch.highWatermark = partitionData.highWatermark;
    batch.rawMessages = messages;
    const from = Number(fetchedOffset);
    const longFrom = Long.fromValue(fetchedOffset);
    const within: unknown[] = [];
    for (const m of messages) {
      if (m instanceof RecordView ? m.offsetNumber >= from : Long.fromValue((m as { offset: string }).offset).gte(longFrom)) within.push(m);
    }
    batch.messagesWithinOffset = within;
    const kept = withoutAborted(within as FetchedRecord[], abortedTransactions as AbortedTransaction[] | undefined);
    batch.messages = kept.filter((m) => m.isControlRecord !== true);
    return batch;
  }
  Batch.prototype = StockBatch.prototype;

  require.cache[require.resolve(BATCH_DECODER)]!.exports = batchDecoder;
  require.cache[require.resolve(BATCH_CLASS)]!.exports = Batch;
  const now = { batchDecoder, Batch: Batch as unknown as BatchClass };
  return { kafkajs: require(KAFKAJS) as typeof KafkaJs, decoder: 'sabre', now, stock };
}

const installed = install();

/** kafkajs, with Sabre's record batch decoder in it unless `kafkaDecoder` says otherwise. */
export const kafkajs = installed.kafkajs;
/** Which decoder reads fetched record batches in this process: Sabre's ('sabre') or kafkajs's own. */
export const kafkaDecoder = installed.decoder;
/** How a Kafka source reads in this process, for its `readsWith` (stats, the start-up line). */
export const KAFKA_READS_WITH = kafkaDecoder === 'sabre' ? "Sabre's record batch decoder" : "kafkajs's own record decoder";
/** For tests that compare the two: the record batch decoder and Batch in use, and kafkajs's own. */
export const recordBatchDecoders = { now: installed.now, kafkajs: installed.stock };
