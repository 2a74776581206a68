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

  constructor(readonly name: string, private readonly open: () => Readable, opts: NdjsonOptions) {
    this.fields = new RecordFields(opts.keyField, opts.timeField, opts.valueField, opts.needsValue);
  }

  static file(path: string, opts: NdjsonOptions): NdjsonSource {
    return new NdjsonSource(`file:${path}`, () => createReadStream(path, { highWaterMark: 1 << 16 }), opts);
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
          await this.line(ctx, text.slice(from, nl), ingest);
          this.bytesConsumed += Buffer.byteLength(text.slice(from, nl + 1));
          from = nl + 1;
        }
        carry = text.slice(from);
        ctx.writer.publishAll();
      }
      carry += decoder.end();
      if (carry.length > 0 && !this.stopped) await this.line(ctx, carry, wallNow());
    } finally {
      ctx.writer.publishAll();
      if (stream !== process.stdin) stream.destroy();
    }
  }

  private async line(ctx: SourceContext, raw: string, ingest: number): Promise<void> {
    this.lines++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      ctx.deadLetter(line, 'invalid-json', (e as Error).message, `${this.name}:${this.lines}`);
      return;
    }
    const f = this.fields;
    if (!f.extract(obj)) {
      ctx.deadLetter(line, f.fault!, f.detail, `${this.name}:${this.lines}`);
      return;
    }
    for (;;) {
      const r = ctx.writer.writeRecord(f.key, f.time, f.value, ingest);
      if (r === WRITE_OK) break;
      if (r === WRITE_TOO_LARGE) {
        ctx.deadLetter(line, 'too-large', 'the key does not fit in a ring frame; raise --ring-size', `${this.name}:${this.lines}`);
        return;
      }
      await pauseFor(this, ctx.writer, r);
    }
    this.records++;
  }
}
