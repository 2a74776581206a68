import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { SabreError } from '../errors.js';

/**
 * An NDJSON destination: stdout, stderr, file:PATH or null (count only).
 * Lines arrive in chunks (many lines joined) so a busy drain makes one write
 * call; `write` returning false asks the caller to await `drained()` before
 * writing more — that is how a slow sink slows the engine down instead of
 * growing memory.
 */
export interface LineSink {
  readonly name: string;
  lines: number;
  write(chunk: string, lines: number): boolean;
  drained(): Promise<void>;
  close(): Promise<void>;
}

class StreamSink implements LineSink {
  lines = 0;
  private error: Error | undefined;

  constructor(readonly name: string, private readonly stream: Writable, private readonly owned: boolean) {
    stream.on('error', (e: Error) => { this.error = e; });
  }

  write(chunk: string, lines: number): boolean {
    if (this.error) throw new SabreError('ERR_SINK', `${this.name}: ${this.error.message}`, { cause: this.error });
    this.lines += lines;
    return this.stream.write(chunk);
  }

  async drained(): Promise<void> {
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.owned) {
      const s = this.stream as WriteStream;
      await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())));
    } else {
      await this.drained();
    }
  }
}

class NullSink implements LineSink {
  readonly name = 'null';
  lines = 0;
  write(_chunk: string, lines: number): boolean {
    this.lines += lines;
    return true;
  }
  async drained(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Open a sink from its spec; `what` names the option in errors (e.g. "--sink"). */
export function openLineSink(spec: string, what: string): LineSink {
  if (spec === 'stdout') return new StreamSink('stdout', process.stdout, false);
  if (spec === 'stderr') return new StreamSink('stderr', process.stderr, false);
  if (spec === 'null') return new NullSink();
  if (spec.startsWith('file:') && spec.length > 5) {
    const path = spec.slice(5);
    return new StreamSink(spec, createWriteStream(path, { flags: 'w', highWaterMark: 1 << 20 }), true);
  }
  throw new SabreError('ERR_INVALID_OPTION', `${what} "${spec}": use stdout, stderr, null or file:PATH`);
}

/** A sink needs the result lines (vs. only a count) unless it is null. */
export function needsLines(s: LineSink): boolean {
  return !(s instanceof NullSink);
}
