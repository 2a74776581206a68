import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { WRITE_OK, WRITE_TOO_LARGE } from '../partition/partitioned-writer.js';
import { RecordFields } from './record-fields.js';
import { pauseFor, wallNow, type Source, type SourceContext } from './source.js';

export interface NdjsonOptions {
  keyField: string;
  timeField: string;
  valueField: string;
  needsValue: boolean;
}

/**
 * Newline-delimited JSON from a file or stdin. Reading is pull-based (async
 * iteration), so while we await space in a full ring the stream is not read:
 * the pause reaches the file or the pipe. Blank lines are skipped; anything
 * else that is not a usable record is dead-lettered with its line number.
 */
export class NdjsonSource implements Source {
  records = 0;
  pauses = 0;
  pausedMs = 0;
  lines = 0;
  /** Bytes of input fully consumed (the position a checkpoint would record). */
  bytesConsumed = 0;
  private stopped = false;
  private readonly fields: RecordFields;
  private ingest = 0;
  private pendingLine = '';

  constructor(readonly name: string, private readonly open: () => Readable, opts: NdjsonOptions) {
    this.fields = new RecordFields(opts.keyField, opts.timeField, opts.valueField, opts.needsValue);
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
    return new NdjsonSource('stdin', () => process.stdin, opts);
  }

  stop(): void {
    this.stopped = true;
  }

  async run(ctx: SourceContext): Promise<void> {
    const stream = this.open();
    const decoder = new StringDecoder('utf8');
    let carry = '';
    try {
      for await (const chunk of stream) {
        if (this.stopped) break;
        const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
        let from = 0;
        let nl: number;
        const ingest = wallNow();
        while ((nl = text.indexOf('\n', from)) >= 0) {
          const raw = text.slice(from, nl);
          // Await only when a ring is full: a promise per line would cost more than the parse.
          const full = this.line(ctx, raw, ingest);
          if (full >= 0) await this.retry(ctx, full);
          this.bytesConsumed += Buffer.byteLength(raw) + 1;
          from = nl + 1;
        }
        carry = text.slice(from);
        ctx.writer.publishAll();
      }
      carry += decoder.end();
      if (carry.length > 0 && !this.stopped) {
        const full = this.line(ctx, carry, wallNow());
        if (full >= 0) await this.retry(ctx, full);
        this.bytesConsumed += Buffer.byteLength(carry);
      }
    } finally {
      ctx.writer.publishAll();
      if (stream !== process.stdin) stream.destroy();
    }
  }

  /** Parse and write one line; returns -1 when done with it, or the full partition it waits for. */
  private line(ctx: SourceContext, raw: string, ingest: number): number {
    this.lines++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
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
    this.ingest = ingest;
    return this.write(ctx, line);
  }

  /** Write the record held in `fields`; -1 when written (or dead-lettered), else the full partition. */
  private write(ctx: SourceContext, line: string): number {
    const f = this.fields;
    const r = ctx.writer.writeRecord(f.key, f.time, f.value, this.ingest);
    if (r === WRITE_OK) {
      this.records++;
      return -1;
    }
    if (r === WRITE_TOO_LARGE) {
      ctx.deadLetter(line, 'too-large', 'the key does not fit in a ring frame; raise --ring-size', `${this.name}:${this.lines}`);
      return -1;
    }
    this.pendingLine = line;
    return r;
  }

  /** The record in `fields` met a full ring: wait for space and write it (the stream is not read meanwhile). */
  private async retry(ctx: SourceContext, partition: number): Promise<void> {
    let full = partition;
    while (full >= 0) {
      await pauseFor(this, ctx.writer, full);
      full = this.write(ctx, this.pendingLine);
    }
  }
}
