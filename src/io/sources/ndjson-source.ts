import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { IO_INGEST, IO_TIME, IO_VALUE, WRITE_OK, WRITE_TOO_LARGE } from '../../partition/partitioned-writer.js';
import { RecordFields } from '../../codec/json/record-fields.js';
import type { RecordExtractor } from '../../codec/record-extractor.js';
import { JsonFieldScanner } from '../../codec/json/json-field-scanner.js';
import { BOM_BYTES, hasBom } from '../../codec/json/utf8-bom.js';
import { pauseFor, type Source, type SourceContext } from './source.js';
import { wallNow } from '../../time/wall-clock.js';
import { stdinStream } from './stdin.js';

const NL = 0x0a;
const CR = 0x0d;

export interface NdjsonOptions {
  keyField: string;
  timeField: string;
  valueField: string;
  needsValue: boolean;
  /** A job's RowProjector (--job); without one, the built-in job's RecordFields over the names above. */
  extractor?: RecordExtractor;
}

/**
 * Newline-delimited JSON from a file or stdin. Reading is pull-based (async
 * iteration), so while we await space in a full ring the stream is not read:
 * the pause reaches the file or the pipe. Blank lines are skipped; anything
 * else that is not a usable record is dead-lettered with its line number.
 * Lines are split on the bytes (a newline byte never occurs inside a UTF-8
 * sequence) and read in place by the JSON field scanner; only a line it
 * declines is decoded and goes through JSON.parse + RecordFields. A job's
 * records (a RowProjector extractor) always take JSON.parse.
 */
export class NdjsonSource implements Source {
  records = 0;
  pauses = 0;
  pausedMs = 0;
  lines = 0;
  /** Bytes of input fully consumed (the position a checkpoint would record). */
  bytesConsumed = 0;
  private stopped = false;
  /** The stream being read, so stop() can end a read that waits for input (stdin held open). */
  private stream: Readable | undefined;
  private readonly fields: RecordExtractor;
  private readonly scanner: JsonFieldScanner | undefined;
  private ingest = 0;
  // The record being written (and rewritten after a full ring): read in place, it is the scanner's fields
  // and the line pendingBytes[pendingStart, pendingEnd); parsed, it is `fields` and pendingLine.
  private pendingInPlace = false;
  private pendingBytes: Buffer = Buffer.alloc(0);
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingLine = '';

  constructor(readonly name: string, private readonly open: () => Readable, opts: NdjsonOptions) {
    this.fields = opts.extractor ?? new RecordFields(opts.keyField, opts.timeField, opts.valueField, opts.needsValue);
    this.scanner = this.fields.scannable ? new JsonFieldScanner(opts.timeField, opts.valueField, opts.needsValue, opts.keyField) : undefined;
  }

  /** `resume`: a checkpoint's position — reading restarts at that byte, line numbers continue. */
  static file(path: string, opts: NdjsonOptions, resume?: { bytes: number; lines: number }): NdjsonSource {
    const src = new NdjsonSource(`file:${path}`, () => createReadStream(path, { highWaterMark: 1 << 16, start: resume?.bytes ?? 0 }), opts);
    if (resume) {
      src.bytesConsumed = resume.bytes;
      src.lines = resume.lines;
    }
    return src;
  }

  /** Bytes and lines consumed: every line before that point is in a ring (or dead-lettered). */
  position(): { bytes: number; lines: number } {
    return { bytes: this.bytesConsumed, lines: this.lines };
  }

  static stdin(opts: NdjsonOptions): NdjsonSource {
    // Bytes a read-ahead (field inference) took come first.
    return new NdjsonSource('stdin', stdinStream, opts);
  }

  /**
   * Stop reading. A read waiting for more input (a pipe or terminal on stdin
   * that stays open) would hold the run — and the process — until it
   * closes: the stream is destroyed, which ends that wait.
   */
  stop(): void {
    this.stopped = true;
    this.stream?.destroy();
  }

  async run(ctx: SourceContext): Promise<void> {
    const stream = this.open();
    this.stream = stream;
    let carry: Buffer = Buffer.alloc(0);
    try {
      try {
        for await (const chunk of stream) {
          if (this.stopped) break;
          const piece = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk as Buffer;
          const buf = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
          let from = 0;
          let nl: number;
          const ingest = wallNow();
          while ((nl = buf.indexOf(NL, from)) >= 0) {
            // Await only when a ring is full: a promise per line would cost more than the parse.
            const full = this.line(ctx, buf, from, nl, ingest);
            if (full >= 0) await this.retry(ctx, full);
            this.bytesConsumed += nl + 1 - from;
            from = nl + 1;
          }
          carry = buf.subarray(from);
          ctx.writer.publishAll();
        }
      } catch (e) {
        if (!this.stopped) throw e; // destroyed by stop(): the input ends here
      }
      if (carry.length > 0 && !this.stopped) {
        const full = this.line(ctx, carry, 0, carry.length, wallNow());
        if (full >= 0) await this.retry(ctx, full);
        this.bytesConsumed += carry.length;
      }
    } finally {
      ctx.writer.publishAll();
      if (stream !== process.stdin) stream.destroy();
    }
  }

  /** Read and write the line buf[start, end); returns -1 when done with it, or the full partition it waits for. */
  private line(ctx: SourceContext, buf: Buffer, start: number, end: number, ingest: number): number {
    // A UTF-8 byte-order mark (written by some Windows tools) may open the input: it is not part of the first record.
    // The first line is whole in buf however the input was chunked, and a resumed read never starts on line 1.
    if (this.lines === 0 && hasBom(buf, start, end)) start += BOM_BYTES;
    this.lines++;
    if (end > start && buf[end - 1] === CR) end--;
    this.ingest = ingest;
    if (this.scanner !== undefined && this.scanner.scan(buf, start, end)) {
      this.pendingInPlace = true;
      this.pendingBytes = buf;
      this.pendingStart = start;
      this.pendingEnd = end;
      return this.write(ctx);
    }
    const line = buf.toString('utf8', start, end);
    if (line.trim() === '') return -1;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      ctx.deadLetter(line, 'invalid-json', (e as Error).message, `${this.name}:${this.lines}`);
      return -1;
    }
    const f = this.fields;
    if (!f.extract(obj)) {
      ctx.deadLetter(line, f.fault!, f.detail, `${this.name}:${this.lines}`);
      return -1;
    }
    this.pendingInPlace = false;
    this.pendingLine = line;
    return this.write(ctx);
  }

  /** Write the pending record; -1 when written (or dead-lettered), else the full partition. */
  private write(ctx: SourceContext): number {
    const w = ctx.writer;
    let r: number;
    if (this.pendingInPlace) {
      const sc = this.scanner!;
      w.io[IO_TIME] = sc.time;
      w.io[IO_VALUE] = sc.value;
      w.io[IO_INGEST] = this.ingest;
      r = w.writeKeyBytes(this.pendingBytes, sc.keyStart, sc.keyLength);
    } else {
      r = this.fields.write(w, this.ingest);
    }
    if (r === WRITE_OK) {
      this.records++;
      return -1;
    }
    if (r < WRITE_OK) {
      // Refused (too large, or an event time out of range or too far ahead): dead-lettered, not retried.
      const text = this.pendingInPlace ? this.pendingBytes.toString('utf8', this.pendingStart, this.pendingEnd) : this.pendingLine;
      const why = r === WRITE_TOO_LARGE ? { fault: 'too-large' as const, detail: 'the key does not fit in a ring frame; raise --ring-size' } : w.rejection(r)!;
      ctx.deadLetter(text, why.fault, why.detail, `${this.name}:${this.lines}`);
      return -1;
    }
    return r;
  }

  /** The pending record met a full ring: wait for space and write it (the stream is not read meanwhile). */
  private async retry(ctx: SourceContext, partition: number): Promise<void> {
    let full = partition;
    while (full >= 0) {
      await pauseFor(this, ctx.writer, full);
      // The scanner's fields (and the bytes it located the key in) are untouched while this source waits.
      full = this.write(ctx);
    }
  }
}
