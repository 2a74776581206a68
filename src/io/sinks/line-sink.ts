import { createWriteStream, fsync, openSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { SabreError } from '../../errors.js';

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
  /**
   * Resolves once every line written before the call reached its target (a
   * file: written and fsynced); rejects with ERR_SINK when the sink failed.
   * A checkpoint completes only after this resolved for the results before
   * its barrier (`epoch`: that checkpoint's id). Optional for plugin sinks.
   */
  flush?(epoch: number): Promise<void>;
  /**
   * Set by the engine: called once when the sink fails between calls (an
   * asynchronous write error), so the run fails at once, not at the next write.
   */
  onError?: ((e: SabreError) => void) | undefined;
  /**
   * true: a job's outputs reach this sink as timed lines (`TIME<TAB>JSON`,
   * src/codec/timed-line.ts), for a sink that writes their event time too
   * (a Kafka sink with --format flatbuffers). Window results never are.
   */
  readonly timedLines?: boolean;
  close(): Promise<void>;
}

/** A sink's failure as the run's error: one line naming the option, the target and the cause. */
export function sinkError(what: string, name: string, e: unknown): SabreError {
  if (e instanceof SabreError) return e;
  return new SabreError('ERR_SINK', `${what} ${name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** fsync, where the target can: a character device or a pipe says EINVAL (nothing to make durable). */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e && e.code !== 'EINVAL' && e.code !== 'ENOTSUP' ? reject(e) : resolve())));
}

class StreamSink implements LineSink {
  lines = 0;
  onError: ((e: SabreError) => void) | undefined;
  private error: SabreError | undefined;

  /** `fd`: the file descriptor of an owned file stream, fsynced by flush(). */
  constructor(readonly name: string, private readonly what: string, private readonly stream: Writable, private readonly owned: boolean,
    private readonly fd?: number) {
    stream.on('error', (e: Error) => { this.failed(e); });
  }

  /**
   * The first failure is the sink's error from then on; the engine hears of it once.
   * "Cannot call end after a stream was destroyed" (Node 24 reports it to end()'s
   * callback before the 'error' event of the write that destroyed the stream) names
   * the cause: the stream's own error (ENOSPC, EIO…).
   */
  private failed(e: unknown): SabreError {
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_STREAM_DESTROYED' && this.stream.errored) e = this.stream.errored;
    if (this.error === undefined) {
      this.error = sinkError(this.what, this.name, e);
      this.onError?.(this.error);
    }
    return this.error;
  }

  write(chunk: string, lines: number): boolean {
    if (this.error) throw this.error;
    this.lines += lines;
    return this.stream.write(chunk);
  }

  async drained(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.stream.writableNeedDrain) return;
    try {
      await once(this.stream, 'drain');
    } catch (e) {
      throw this.failed(e);
    }
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    // Writes complete in order: the callback of an empty write follows every earlier chunk.
    await new Promise<void>((resolve, reject) => this.stream.write('', (e) => (e ? reject(this.failed(e)) : resolve())));
    if (this.fd !== undefined) await fsyncFd(this.fd).catch((e: unknown) => { throw this.failed(e); });
  }

  async close(): Promise<void> {
    if (this.error) throw this.error;
    if (this.owned) {
      const s = this.stream as WriteStream;
      await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(this.failed(e)) : resolve())));
    } else {
      // stdout/stderr keep this sink's error listener (an error with none would be uncaught), not the engine.
      this.onError = undefined;
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
  if (spec === 'stdout') return new StreamSink('stdout', what, process.stdout, false);
  if (spec === 'stderr') return new StreamSink('stderr', what, process.stderr, false);
  if (spec === 'null') return new NullSink();
  if (spec.startsWith('file:') && spec.length > 5) {
    const path = spec.slice(5);
    // Opened here, synchronously: a target that cannot be opened fails start-up, not a write later.
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new SabreError('ERR_SINK_OPEN', `${what} ${spec}: ${(e as Error).message}`, { cause: e });
    }
    return new StreamSink(spec, what, createWriteStream(path, { fd, highWaterMark: 1 << 20 }), true, fd);
  }
  throw new SabreError('ERR_INVALID_OPTION', `${what} "${spec}": use stdout, stderr, null or file:PATH`);
}

/** A sink needs the result lines (vs. only a count) unless it is null. */
export function needsLines(s: LineSink): boolean {
  return !(s instanceof NullSink);
}
