import type { IngestPort } from '../../sources/ingest-port.js';
import { FlatInput } from '../../../codec/flat/flat-input.js';
import { FlatReader } from '../../../codec/flat/flat-reader.js';
import { IO_INGEST, IO_TIME, IO_VALUE } from '../../../partition/partitioned-writer.js';
import { JsonFieldScanner } from '../../../codec/json/json-field-scanner.js';
import { RecordView, type KafkaMessage } from '../kafka-client.js';

/**
 * One Kafka message → one record through the ingest port (or a dead letter).
 *
 * - Bytes: read in place from the fetched batch when Sabre's record batch
 *   decoder made the message (a RecordView), else from kafkajs's Buffers.
 * - Key: the message key's bytes, hashed as they are (murmur2), so the key
 *   group agrees with Kafka's default partitioner; without a message key,
 *   the value's `--key` field (JSON) or the Record's key (flatbuffers).
 * - JSON values: keyed ones are read by JsonFieldScanner straight from the
 *   bytes (no string, no object); whatever it declines, and keyless ones,
 *   take JSON.parse + RecordFields, which also name the dead-letter reason.
 *   A job's records (--job) always take JSON.parse and its RowProjector,
 *   and flatbuffers ones become objects (IngestPort.flatObject); the job's
 *   keyBy, not the message key, chooses their partition.
 * - Flatbuffers values: a `sabre.fb.Record` located in place by FlatReader
 *   (no allocation per message); FlatInput names the fault of one it declines.
 * - Ingest time (latency) is stamped once per batch (`beginBatch`): a batch
 *   arrives at once, and clock reads cost.
 * Dead letters carry `kafka:TOPIC/PARTITION@OFFSET` and the value (base64 for
 * flatbuffers), both built only when something is rejected.
 */
export class MessageReader {
  private readonly flat: boolean;
  private readonly flatReader = new FlatReader();
  private readonly flatInput = new FlatInput();
  private readonly scanner: JsonFieldScanner;
  private ingestTime = 0;
  private topic = '';
  private partition = 0;
  private message: KafkaMessage | RecordView | undefined;
  private readonly rawText = (): string => {
    const v = this.message?.value;
    if (!v) return '';
    return this.flat ? `base64:${v.toString('base64')}` : v.toString('utf8');
  };
  private readonly whereText = (): string => `kafka:${this.topic}/${this.partition}@${this.message?.offset ?? '?'}`;

  constructor(private readonly port: IngestPort, format: 'json' | 'flatbuffers', fields: { time: string; value: string }) {
    this.flat = format === 'flatbuffers';
    this.scanner = new JsonFieldScanner(fields.time, fields.value, port.needsValue);
  }

  beginBatch(topic: string, partition: number, ingestTime: number): void {
    this.topic = topic;
    this.partition = partition;
    this.ingestTime = ingestTime;
  }

  /** INGEST_OK / INGEST_REJECTED (accepted either way), or the index of a full ring (nothing written). */
  read(m: KafkaMessage | RecordView): number {
    this.message = m;
    // A RecordView (Sabre's record batch decoder) is read in place; kafkajs's own messages through their Buffers.
    let bytes: Uint8Array;
    let start = 0;
    let end: number;
    let key: Uint8Array | null;
    let keyStart = 0;
    let keyLength = 0;
    if (m instanceof RecordView) {
      if (m.valueLength < 0) return this.tombstone();
      bytes = m.bytes;
      start = m.valueStart;
      end = start + m.valueLength;
      key = m.keyLength < 0 ? null : m.bytes;
      keyStart = m.keyStart;
      keyLength = m.keyLength;
    } else {
      const v = m.value;
      if (v === null || v === undefined) return this.tombstone();
      bytes = v;
      end = v.length;
      key = m.key ?? null;
      keyLength = key === null ? 0 : key.length;
    }
    const port = this.port;
    const io = port.io;
    if (this.flat && !port.scannable) {
      // A job's record: the Record as an object (attributes included), through the port's extractor.
      if (!this.flatInput.single(bytes.subarray(start, end), false)) {
        return port.reject(this.rawText(), this.flatInput.fault!, this.flatInput.detail, this.whereText());
      }
      return port.tryFlat(this.flatInput, this.rawText, this.whereText());
    }
    if (this.flat) {
      // The fast reader takes complete, finite records; the reference reader accepts what else it may and names the fault.
      const input = this.flatReader.single(bytes, start, end) ? this.flatReader
        : this.flatInput.single(bytes.subarray(start, end), port.needsValue) ? this.flatInput : undefined;
      if (input === undefined) return port.reject(this.rawText(), this.flatInput.fault!, this.flatInput.detail, this.whereText());
      io[IO_TIME] = input.eventTime;
      io[IO_VALUE] = input.value;
      io[IO_INGEST] = this.ingestTime;
      return key !== null ? port.tryPreparedKeyBytes(key, keyStart, keyLength, this.rawText, this.whereText)
        : port.tryPreparedKeyBytes(input.bytes, input.keyStart, input.keyLength, this.rawText, this.whereText);
    }
    if (key !== null && port.scannable && this.scanner.scan(bytes, start, end)) {
      io[IO_TIME] = this.scanner.time;
      io[IO_VALUE] = this.scanner.value;
      io[IO_INGEST] = this.ingestTime;
      return port.tryPreparedKeyBytes(key, keyStart, keyLength, this.rawText, this.whereText);
    }
    let obj: unknown;
    try {
      obj = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
    } catch (e) {
      return port.reject(this.rawText(), 'invalid-json', (e as Error).message, this.whereText());
    }
    return key !== null ? port.tryObjectKeyBytes(obj, key, keyStart, keyLength, this.rawText, this.whereText)
      : port.tryObject(obj, this.rawText, this.whereText());
  }

  private tombstone(): number {
    return this.port.reject('', this.flat ? 'bad-flatbuffer' : 'not-an-object', 'the message has no value (a tombstone)', this.whereText());
  }
}
