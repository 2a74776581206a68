// One ingest body (a POST /ingest request or a /ws/ingest frame) written
// record by record through an IngestPort. Shared by HTTP and WebSocket
// ingest so both report bad records, full rings and positions alike.
import type { FlatInput } from '../../codec/flat/flat-input.js';
import type { FlatReader } from '../../codec/flat/flat-reader.js';
import { INGEST_OK, type IngestPort } from '../../io/sources/ingest-port.js';
import { BOM_BYTES, hasBom } from '../../codec/json/utf8-bom.js';
import { wallNow } from '../../time/wall-clock.js';
import { IO_INGEST, IO_TIME, IO_VALUE } from '../../partition/partitioned-writer.js';

export type BodyKind = 'json' | 'ndjson' | 'flatbuffers';

/** A rejected record: `line` (NDJSON, 1-based) or `index` (JSON: 0, flatbuffers); neither = the whole body. */
export interface RecordError {
  line?: number;
  index?: number;
  reason: string;
  detail: string;
}

/** Errors listed per body; the rest are counted (errorsOmitted) and dead-lettered all the same. */
export const MAX_LISTED_ERRORS = 100;

/** Content-Type (parameters ignored) → body kind; undefined = 415. */
export function bodyKindOf(contentType: string): BodyKind | undefined {
  const semi = contentType.indexOf(';');
  const t = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (t === 'application/json') return 'json';
  if (t === 'application/x-ndjson' || t === 'application/ndjson') return 'ndjson';
  if (t === 'application/x-flatbuffers') return 'flatbuffers';
  return undefined;
}

const NL = 0x0a;
const CR = 0x0d;

function isBlank(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c !== 32 && c !== 9 && c !== CR) return false;
  }
  return true;
}

/** Non-blank lines of an NDJSON body from byte `from` on (the records it holds). */
export function countLines(b: Uint8Array, from = 0): number {
  let n = 0;
  let pos = from;
  while (pos < b.length) {
    let nl = b.indexOf(NL, pos);
    if (nl < 0) nl = b.length;
    if (!isBlank(b, pos, nl)) n++;
    pos = nl + 1;
  }
  return n;
}

/** UTF-8 text of b[start, end). A newline byte never occurs inside a multi-byte sequence, so lines decode alone as they would in the whole body. */
function utf8(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
}

/** The readers a flatbuffers body is read with: the fast path, and FlatInput for whatever it declines. */
export interface FlatReaders {
  fast: FlatReader;
  flat: FlatInput;
}

/**
 * `advance()` writes records until the body is done (INGEST_OK) or a ring is
 * full (returns that partition, ≥ 0): the record that found it full was not
 * written and is the first one the next `advance()` tries, so a caller
 * awaits `port.waitForSpace…(p)` and calls `advance()` again. Every call
 * re-attaches the readers to this body, so one pair may serve many bodies
 * whose processing interleaves across awaits.
 */
export class IngestBatch {
  accepted = 0;
  rejected = 0;
  readonly errors: RecordError[] = [];
  errorsOmitted = 0;
  /** json: 0/1 done; ndjson: byte offset of the next line; flatbuffers: next record index. */
  private pos = 0;
  /** ndjson: lines before `pos`. */
  private line = 0;
  /** ndjson: end of the line being written, bytes[pos, lineEnd) (for rawLine). */
  private lineEnd = 0;
  private readonly rawLine = (): string => utf8(this.bytes, this.pos, this.lineEnd);
  private readonly whereLine = (): string => `${this.where}:${this.line + 1}`;
  /** flatbuffers: records in the batch once opened (-1 = not yet). */
  private count = -1;
  private readonly rawFlat = (): string =>
    `(flatbuffers RecordBatch record ${this.pos} of ${this.count}, ${this.bytes.length} bytes)`;
  private readonly whereFlat = (): string => `${this.where}[${this.pos}]`;

  constructor(readonly kind: BodyKind, private text: string, private bytes: Uint8Array, private readonly where: string) {}

  /**
   * A JSON body is read as a string; NDJSON (scanned line by line in place) and flatbuffers as bytes.
   * A text body (POST or WS text frame) may open with a UTF-8 byte-order mark: it is not part of the first record.
   */
  static of(kind: BodyKind, body: Uint8Array, where: string): IngestBatch {
    if (kind !== 'flatbuffers' && hasBom(body)) body = body.subarray(BOM_BYTES);
    return kind === 'json' ? new IngestBatch(kind, utf8(body, 0, body.length), EMPTY, where) : new IngestBatch(kind, '', body, where);
  }

  /** Keep the bytes past the current call: uWS neuters its buffers when the callback returns. */
  detach(): void {
    if (this.bytes.length > 0) this.bytes = this.bytes.slice();
  }

  get byteLength(): number {
    return this.kind === 'json' ? this.text.length : this.bytes.length;
  }

  advance(port: IngestPort, readers: FlatReaders): number {
    if (this.kind === 'ndjson') return this.advanceNdjson(port);
    if (this.kind === 'flatbuffers') return this.advanceFlat(port, readers);
    return this.advanceJson(port);
  }

  /** Records in the body (a body that is not a RecordBatch counts as 1: its one rejection). */
  records(readers: FlatReaders): number {
    if (this.kind === 'ndjson') return countLines(this.bytes);
    if (this.kind === 'flatbuffers') {
      const n = readers.flat.openBatch(this.bytes);
      return n < 0 ? 1 : n;
    }
    return 1;
  }

  /** Records not yet written (after a give-up: they were neither accepted nor rejected). */
  remaining(): number {
    if (this.kind === 'ndjson') return countLines(this.bytes, this.pos);
    if (this.kind === 'flatbuffers') return this.count < 0 ? 1 : this.count - this.pos;
    return this.pos === 0 ? 1 : 0;
  }

  /** Where the first record not yet written is: what a client retries from. */
  position(): { line: number } | { index: number } {
    return this.kind === 'ndjson' ? { line: this.line + 1 } : { index: this.pos };
  }

  /**
   * Dead-letter every record not yet written as refused (IngestPort.refuse,
   * reason refused-full), after a 503 for rings that stayed full: NDJSON
   * lines and a JSON body as they came, flatbuffers records as a JSON object
   * with the job's field names (a record that does not read is described
   * instead). Leaves accepted/rejected/position as they were (the 503 body
   * reports them); returns how many were refused (= remaining()).
   */
  refuseRest(port: IngestPort, readers: FlatReaders, detail: string): number {
    let n = 0;
    if (this.kind === 'json') {
      if (this.pos === 0) {
        port.refuse(this.text, detail, this.where);
        n = 1;
      }
      return n;
    }
    if (this.kind === 'ndjson') {
      const b = this.bytes;
      let pos = this.pos;
      let line = this.line;
      while (pos < b.length) {
        let nl = b.indexOf(NL, pos);
        if (nl < 0) nl = b.length;
        let end = nl;
        if (end > pos && b[end - 1] === CR) end--;
        if (!isBlank(b, pos, end)) {
          port.refuse(utf8(b, pos, end), detail, `${this.where}:${line + 1}`);
          n++;
        }
        pos = nl + 1;
        line++;
      }
      return n;
    }
    const flat = readers.flat;
    const count = flat.openBatch(this.bytes);
    if (count < 0) return 0; // not a RecordBatch: rejected as a whole already
    const names = port.fieldNames;
    for (let i = this.pos; i < count; i++) {
      // A job's record keeps its attributes (the object its job would have read).
      const obj = !flat.batchRecord(i, false) ? undefined : !port.scannable ? port.flatObject(flat) : {
        [names.key]: utf8(flat.bytes, flat.keyStart, flat.keyStart + flat.keyLength),
        [names.time]: flat.eventTime, [names.value]: flat.value,
      };
      const raw = obj !== undefined ? JSON.stringify(obj) : `(flatbuffers RecordBatch record ${i} of ${count}, ${this.bytes.length} bytes)`;
      port.refuse(raw, detail, `${this.where}[${i}]`);
      n++;
    }
    return n;
  }

  /** The response/ack fields: accepted, rejected, errors (and errorsOmitted when some were left out). */
  summary(): { accepted: number; rejected: number; errors: RecordError[]; errorsOmitted?: number } {
    const s: { accepted: number; rejected: number; errors: RecordError[]; errorsOmitted?: number } =
      { accepted: this.accepted, rejected: this.rejected, errors: this.errors };
    if (this.errorsOmitted > 0) s.errorsOmitted = this.errorsOmitted;
    return s;
  }

  private advanceJson(port: IngestPort): number {
    if (this.pos > 0) return INGEST_OK;
    const text = this.text;
    const obj = parseJson(text);
    const r = obj === BAD_JSON ? port.reject(text, 'invalid-json', jsonError, this.where)
      : port.tryObject(obj, () => text, this.where);
    if (r >= 0) return r;
    this.tally(r, port, undefined, 0);
    this.pos = 1;
    return INGEST_OK;
  }

  /**
   * Lines the scanner takes (a plain string key, numeric time and value:
   * the common case) are written from the body's bytes; any other line is
   * decoded and goes through JSON.parse, which also names what is wrong.
   */
  private advanceNdjson(port: IngestPort): number {
    const b = this.bytes;
    const n = b.length;
    const scanner = port.lineScanner;
    const scannable = port.scannable;
    const io = port.io;
    // Ingest time is stamped once per pass: a body arrives at once, and clock reads cost.
    const ingest = wallNow();
    while (this.pos < n) {
      let nl = b.indexOf(NL, this.pos);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > this.pos && b[end - 1] === CR) end--;
      if (!isBlank(b, this.pos, end)) {
        this.lineEnd = end;
        let r: number;
        if (scannable && scanner.scan(b, this.pos, end)) {
          io[IO_TIME] = scanner.time;
          io[IO_VALUE] = scanner.value;
          io[IO_INGEST] = ingest;
          r = port.tryPreparedKeyBytes(b, scanner.keyStart, scanner.keyLength, this.rawLine, this.whereLine);
        } else {
          const s = this.rawLine();
          const obj = parseJson(s);
          r = obj === BAD_JSON ? port.reject(s, 'invalid-json', jsonError, this.whereLine())
            : port.tryObject(obj, this.rawLine, this.whereLine());
        }
        if (r >= 0) return r; // full: this line is retried by the next advance()
        this.tally(r, port, this.line + 1, undefined);
      }
      this.pos = nl + 1;
      this.line++;
    }
    return INGEST_OK;
  }

  private advanceFlat(port: IngestPort, { fast, flat }: FlatReaders): number {
    const n = flat.openBatch(this.bytes);
    if (n < 0) {
      // Not a RecordBatch at all: one rejection for the whole body.
      if (this.count < 0) {
        this.count = 0;
        this.tally(port.reject(`(${this.bytes.length} bytes that are not a flatbuffers RecordBatch)`, flat.fault!, flat.detail, this.where),
          port, undefined, undefined);
      }
      return INGEST_OK;
    }
    this.count = n;
    fast.open(this.bytes);
    const needsValue = port.needsValue;
    const io = port.io;
    // Ingest time is stamped once per pass: a body arrives at once, and clock reads cost.
    const ingest = wallNow();
    const scannable = port.scannable;
    while (this.pos < n) {
      let r: number;
      if (!scannable) {
        // A job's record: the Record as an object (attributes included), through the port's extractor.
        r = flat.batchRecord(this.pos, false) ? port.tryFlat(flat, this.rawFlat, this.whereFlat())
          : port.reject(this.rawFlat(), flat.fault!, flat.detail, this.whereFlat());
        if (r >= 0) return r;
      } else if (fast.read(this.pos)) {
        io[IO_TIME] = fast.eventTime;
        io[IO_VALUE] = fast.value;
        io[IO_INGEST] = ingest;
        r = port.tryPreparedKeyBytes(fast.bytes, fast.keyStart, fast.keyLength, this.rawFlat, this.whereFlat);
        if (r >= 0) return r;
      } else if (!flat.batchRecord(this.pos, needsValue)) {
        r = port.reject(this.rawFlat(), flat.fault!, flat.detail, this.whereFlat());
      } else {
        io[IO_TIME] = flat.eventTime;
        io[IO_VALUE] = flat.value;
        io[IO_INGEST] = ingest;
        r = port.tryPreparedKeyBytes(flat.bytes, flat.keyStart, flat.keyLength, this.rawFlat, this.whereFlat);
        if (r >= 0) return r;
      }
      this.tally(r, port, undefined, this.pos);
      this.pos++;
    }
    return INGEST_OK;
  }

  private tally(r: number, port: IngestPort, line: number | undefined, index: number | undefined): void {
    if (r === INGEST_OK) {
      this.accepted++;
      return;
    }
    this.rejected++;
    if (this.errors.length >= MAX_LISTED_ERRORS) {
      this.errorsOmitted++;
      return;
    }
    const reason = port.fault ?? 'bad-record';
    const detail = port.detail;
    this.errors.push(line !== undefined ? { line, reason, detail } : index !== undefined ? { index, reason, detail } : { reason, detail });
  }
}

const EMPTY = new Uint8Array(0);
const BAD_JSON = Symbol('bad-json');
let jsonError = '';

/** JSON.parse, or BAD_JSON with the message in jsonError (read at once). */
function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    jsonError = (e as Error).message;
    return BAD_JSON;
  }
}
