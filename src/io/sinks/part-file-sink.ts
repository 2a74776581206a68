import { createWriteStream, existsSync, openSync, readdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { SabreError } from '../../errors.js';
import { fsyncDir, fsyncFile } from '../../checkpoint/durable-file.js';
import type { EpochSink } from './epoch-sink.js';
import { fsyncFd, sinkError } from './line-sink.js';

const pad = (n: number): string => String(n).padStart(8, '0');

/**
 * The exactly-once file sink used with checkpoints: results of checkpoint
 * epoch e (fired after checkpoint e-1, before e) go to `PATH.part-<e>.inprogress`,
 * written out and fsynced before checkpoint e's manifest (`flush`), and
 * renamed to `PATH.part-<e>` once checkpoint e is complete (`commit`). A reader that takes
 * only committed parts sees every window firing exactly once, whatever
 * crashes and restores happened in between.
 */
export class PartFileSink implements EpochSink {
  lines = 0;
  onError: ((e: SabreError) => void) | undefined;
  private readonly streams = new Map<number, WriteStream>();
  /** The open parts' file descriptors (fsynced by flush). */
  private readonly fds = new Map<number, number>();
  /** Epochs whose part is written and fsynced (`flush`), waiting for their checkpoint's commit to rename it. */
  private readonly flushed: number[] = [];
  /** Every epoch up to this one is flushed: a result for it now would be a bug (its checkpoint may already claim it). */
  private flushedUpTo = 0;
  private error: SabreError | undefined;

  /** `what`: how messages name the sink (--sink, or a job's sink "NAME"). */
  constructor(readonly name: string, private readonly path: string, private readonly what = '--sink') {}

  /** The first failure is the sink's error from then on; the engine hears of it once. */
  private failed(e: unknown): SabreError {
    if (this.error === undefined) {
      this.error = sinkError(this.what, this.name, e);
      this.onError?.(this.error);
    }
    return this.error;
  }

  partPath(epoch: number): string {
    return `${this.path}.part-${pad(epoch)}`;
  }

  /**
   * Before a run that resumes after checkpoint `committed`: parts of epochs up
   * to it that were written but not yet renamed (a crash between the manifest
   * and the rename) are committed; anything later is discarded, because the
   * restored run produces it again.
   */
  recover(committed: number): void {
    const dir = dirname(this.path) || '.';
    const prefix = `${basename(this.path)}.part-`;
    if (!existsSync(dir)) return;
    let renamed = false;
    for (const f of readdirSync(dir)) {
      if (!f.startsWith(prefix)) continue;
      const m = /^(\d+)(\.inprogress)?$/.exec(f.slice(prefix.length));
      if (!m) continue;
      const epoch = Number(m[1]);
      const full = join(dir, f);
      if (epoch > committed) rmSync(full, { force: true });
      else if (m[2]) {
        fsyncFile(full); // written by a process that died before its commit fsynced it
        renameSync(full, this.partPath(epoch));
        renamed = true;
      }
    }
    if (renamed) fsyncDir(dir);
  }

  write(chunk: string, lines: number): boolean {
    return this.writeEpoch(0, chunk, lines);
  }

  writeEpoch(epoch: number, chunk: string, lines: number): boolean {
    if (this.error) throw this.error;
    let s = this.streams.get(epoch);
    if (!s) {
      if (epoch <= this.flushedUpTo) {
        throw new SabreError('ERR_INTERNAL', `${this.name}: a result of epoch ${epoch} arrived after that epoch's part was flushed`);
      }
      const path = `${this.partPath(epoch)}.inprogress`;
      let fd: number;
      try {
        fd = openSync(path, 'w'); // synchronously: a part that cannot be opened fails this write, not a later one
      } catch (e) {
        throw this.failed(e);
      }
      s = createWriteStream(path, { fd, highWaterMark: 1 << 20 });
      s.on('error', (e: Error) => { this.failed(e); });
      this.streams.set(epoch, s);
      this.fds.set(epoch, fd);
    }
    this.lines += lines;
    return s.write(chunk);
  }

  /**
   * Checkpoint `epoch` is about to complete: every part up to it is written
   * to its end and fsynced (still `.inprogress`), so the manifest never names
   * results that are not on disk. Rejects with ERR_SINK if any write failed.
   */
  async flush(epoch: number): Promise<void> {
    if (this.error) throw this.error;
    this.flushedUpTo = Math.max(this.flushedUpTo, epoch);
    let flushedAny = false;
    for (const e of [...this.streams.keys()].sort((a, b) => a - b)) {
      if (e > epoch) break;
      const s = this.streams.get(e)!;
      const fd = this.fds.get(e)!;
      this.streams.delete(e);
      this.fds.delete(e);
      try {
        await new Promise<void>((resolve, reject) => s.write('', (err) => (err ? reject(err) : resolve())));
        await fsyncFd(fd);
        await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
      } catch (err) {
        throw this.failed(err);
      }
      this.flushed.push(e);
      flushedAny = true;
    }
    // The parts' directory entries too: a restart after a crash finds them by name (recover).
    if (flushedAny) {
      try {
        fsyncDir(dirname(this.path) || '.');
      } catch (err) {
        throw this.failed(err);
      }
    }
    if (this.error) throw this.error;
  }

  /** Checkpoint `epoch` is complete (its manifest durable): rename every flushed part up to it. */
  async commit(epoch: number): Promise<void> {
    await this.flush(epoch);
    try {
      for (const e of this.flushed.filter((x) => x <= epoch).sort((a, b) => a - b)) {
        renameSync(`${this.partPath(e)}.inprogress`, this.partPath(e));
      }
      fsyncDir(dirname(this.path) || '.');
    } catch (err) {
      throw this.failed(err);
    }
    const rest = this.flushed.filter((x) => x > epoch);
    this.flushed.length = 0;
    this.flushed.push(...rest);
  }

  async drained(): Promise<void> {
    for (const s of this.streams.values()) if (s.writableNeedDrain) await once(s, 'drain');
  }

  /** Close without committing: uncommitted parts stay `.inprogress` and are discarded or committed on recovery. */
  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.fds.clear();
    if (this.error) {
      for (const s of streams) s.destroy();
      throw this.error;
    }
    for (const s of streams) {
      await new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(this.failed(e)) : resolve())));
    }
  }
}
