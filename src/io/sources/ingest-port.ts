import { setTimeout as delay } from 'node:timers/promises';
import type { PartitionedWriter } from '../../partition/partitioned-writer.js';
import { IO_INGEST, IO_TIME, IO_VALUE, WRITE_OK } from '../../partition/partitioned-writer.js';
import type { RecordFault } from '../../errors.js';
import { RecordFields } from '../../codec/json/record-fields.js';
import type { RecordExtractor } from '../../codec/record-extractor.js';
import { JsonFieldScanner } from '../../codec/json/json-field-scanner.js';
import type { FlatInput } from '../../codec/flat/flat-input.js';
import type { Source } from './source.js';
import { wallNow } from '../../time/wall-clock.js';

/** tryObject/tryFlat results other than a full partition's index (≥ 0). */
export const INGEST_OK = -1;
export const INGEST_REJECTED = -3;

/**
 * The door for push sources that are not loops of their own (HTTP and
 * WebSocket ingest, Kafka batches): validate a record, write it to its
 * partition, or report the full partition so the caller can pause its client
 * and `waitForSpace`. Rejected input is dead-lettered with its reason and
 * counted here; `fault`/`detail` say why for the caller's response.
 */
export class IngestPort implements Source {
  records = 0;
  rejected = 0;
  pauses = 0;
  pausedMs = 0;
  fault: RecordFault | undefined;
  detail = '';
  private readonly fields: RecordFields;
  /** What checks and writes a parsed record: `fields`, or a job's RowProjector. */
  private readonly extractor: RecordExtractor;
  /** Reads a JSON record's key, time and value in place (NDJSON bodies); what it declines goes through tryObject. */
  readonly lineScanner: JsonFieldScanner;

  /**
   * `fields.extractor`: a job's RowProjector (--job); without one, records
   * are the built-in job's, read by RecordFields over `fields`' names.
   */
  constructor(readonly name: string, private readonly writer: PartitionedWriter,
    fields: { key: string; time: string; value: string; needsValue: boolean; extractor?: RecordExtractor },
    private readonly deadLetterSink: (raw: string, fault: RecordFault, detail: string, where: string) => void) {
    this.fields = new RecordFields(fields.key, fields.time, fields.value, fields.needsValue);
    this.extractor = fields.extractor ?? this.fields;
    this.lineScanner = new JsonFieldScanner(fields.time, fields.value, fields.needsValue, fields.key);
  }

  get needsValue(): boolean {
    return this.fields.needsValue;
  }

  /**
   * true when records may be read in place (JsonFieldScanner, FlatReader):
   * the built-in job's. A job's records go JSON.parse (or flatObject) → tryObject.
   */
  get scannable(): boolean {
    return this.extractor.scannable;
  }

  /** The record's field names (--key, --time, --value), e.g. to write a refused flatbuffers record as JSON. */
  get fieldNames(): { key: string; time: string; value: string } {
    const f = this.fields;
    return { key: f.keyField, time: f.timeField, value: f.valueField };
  }

  /**
   * The flatbuffers Record FlatInput points at as the object a job reads:
   * { key, <time field>: event_time, value, ...attributes (name → text or number) }.
   */
  flatObject(input: FlatInput): Record<string, unknown> | undefined {
    return input.toObject(this.fields.timeField);
  }

  async run(): Promise<void> {}
  stop(): void {}

  /** A parsed JSON record. `raw` is what the dead-letter line shows if it is rejected. */
  tryObject(obj: unknown, raw: () => string, where: string): number {
    const x = this.extractor;
    if (!x.extract(obj)) return this.reject(raw(), x.fault!, x.detail, where);
    return this.outcome(x.write(this.writer, wallNow()), raw, where);
  }

  /** The record FlatInput currently points at (after batchRecord/single returned true). */
  tryFlat(input: FlatInput, raw: () => string, where: string): number {
    if (!this.extractor.scannable) {
      const obj = this.flatObject(input);
      return obj === undefined ? this.reject(raw(), input.fault!, input.detail, where) : this.tryObject(obj, raw, where);
    }
    const io = this.writer.io;
    io[IO_TIME] = input.eventTime;
    io[IO_VALUE] = input.value;
    io[IO_INGEST] = wallNow();
    const r = this.writer.writeKeyBytes(input.bytes, input.keyStart, input.keyLength);
    return this.outcome(r, raw, where);
  }

  /**
   * A parsed JSON record whose key arrives as UTF-8 bytes, key[keyStart,
   * keyStart+keyLength) (a Kafka message key): event time and value come from
   * the object's fields, its key field is ignored and may be absent. Hashing
   * the key bytes as they are makes the record's key group agree with Kafka's
   * partitioner. `raw` and `where` are called only if the record is rejected.
   */
  tryObjectKeyBytes(obj: unknown, key: Uint8Array, keyStart: number, keyLength: number,
    raw: () => string, where: () => string): number {
    // A job keys its records itself (keyBy): the message key does not choose their partition.
    if (this.extractor !== this.fields) return this.tryObject(obj, raw, where());
    const f = this.fields;
    // RecordFields.extract insists on a key field; the key is the bytes here, so
    // give it a stand-in when the value has none (obj is the caller's fresh parse).
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      const rec = obj as Record<string, unknown>;
      const k = rec[f.keyField];
      if (typeof k !== 'string' && !(typeof k === 'number' && Number.isFinite(k))) rec[f.keyField] = '';
    }
    if (!f.extract(obj)) return this.reject(raw(), f.fault!, f.detail, where());
    const io = this.writer.io;
    io[IO_TIME] = f.time;
    io[IO_VALUE] = f.value;
    io[IO_INGEST] = wallNow();
    return this.keyedOutcome(this.writer.writeKeyBytes(key, keyStart, keyLength), raw, where);
  }

  /**
   * The writer's slots for the next record's doubles (IO_TIME, IO_VALUE,
   * IO_INGEST from partitioned-writer.ts): fill them, then call
   * tryPreparedKeyBytes. Doubles travel in this array rather than as
   * arguments because V8 boxes a double passed to a call it does not inline.
   */
  get io(): Float64Array {
    return this.writer.io;
  }

  /**
   * A record whose event time, value and ingest time are already in `io` and
   * whose key is key[keyStart, keyStart+keyLength) (a Kafka message key, or
   * the key FlatInput located). `raw`/`where` are called only on rejection.
   */
  tryPreparedKeyBytes(key: Uint8Array, keyStart: number, keyLength: number, raw: () => string, where: () => string): number {
    return this.keyedOutcome(this.writer.writeKeyBytes(key, keyStart, keyLength), raw, where);
  }

  /** The partition the next records come from and must stay in (PartitionedWriter.inputPartition; -1: any). */
  expectPartition(p: number): void {
    this.writer.inputPartition = p;
  }

  /** Dead-letter input that never became a record (bad JSON, bad flatbuffer). */
  reject(raw: string, fault: RecordFault, detail: string, where: string): number {
    this.fault = fault;
    this.detail = detail;
    this.rejected++;
    this.deadLetterSink(raw, fault, detail, where);
    return INGEST_REJECTED;
  }

  /**
   * A record refused for lack of space: its rings stayed full for the whole
   * --ingest-timeout and the client was answered 503 (and told to resend it).
   * Counted as rejected and dead-lettered with reason `refused-full`, so
   * nothing refused is lost even when the client does not resend.
   */
  refuse(raw: string, detail: string, where: string): void {
    this.rejected++;
    this.deadLetterSink(raw, 'refused-full', detail, where);
  }

  /** Make what was written visible to the workers (call at the end of a request or batch). */
  publish(): void {
    this.writer.publishAll();
  }

  /** Wait until partition p drained; false after `timeoutMs` (0 = no limit). */
  async waitForSpace(p: number, timeoutMs = 0): Promise<boolean> {
    this.pauses++;
    const t0 = performance.now();
    try {
      if (timeoutMs <= 0) {
        await this.writer.waitForSpace(p);
        return true;
      }
      const ac = new AbortController();
      const ok = await Promise.race([
        this.writer.waitForSpace(p).then(() => true),
        delay(timeoutMs, false, { signal: ac.signal }).catch(() => false),
      ]);
      ac.abort();
      return ok;
    } finally {
      this.pausedMs += performance.now() - t0;
    }
  }

  /**
   * waitForSpace for a client that may go away (HTTP/WebSocket ingest):
   * 'space', 'timeout' after `timeoutMs` (0 = no limit), or 'aborted' as soon
   * as `signal` aborts. No timer or listener outlives the call. (The writer
   * keeps its own waiter until the ring drains, then resolves it into nothing.)
   */
  async waitForSpaceUntil(p: number, timeoutMs: number, signal?: AbortSignal): Promise<'space' | 'timeout' | 'aborted'> {
    if (signal?.aborted) return 'aborted';
    this.pauses++;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const waits: Promise<'space' | 'timeout' | 'aborted'>[] = [this.writer.waitForSpace(p).then(() => 'space' as const)];
      if (timeoutMs > 0) waits.push(new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'timeout'); }));
      if (signal) {
        waits.push(new Promise((resolve) => {
          onAbort = () => resolve('aborted');
          signal.addEventListener('abort', onAbort, { once: true });
        }));
      }
      // race() subscribes to every promise, so a writer failure after a timeout is not an unhandled rejection.
      return await Promise.race(waits);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      this.pausedMs += performance.now() - t0;
    }
  }

  private keyedOutcome(r: number, raw: () => string, where: () => string): number {
    return this.outcome(r, raw, r < WRITE_OK ? where() : '');
  }

  private outcome(r: number, raw: () => string, where: string): number {
    if (r === WRITE_OK) {
      this.records++;
      return INGEST_OK;
    }
    // Refused by the writer (too large, event time out of range or too far ahead): dead-lettered with its reason.
    if (r < WRITE_OK) {
      const why = this.writer.rejection(r)!;
      return this.reject(raw(), why.fault, why.detail, where);
    }
    return r;
  }
}
