import { createWriteStream, existsSync, readdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { SabreError } from '../errors.js';
import { fsyncDir, fsyncFile } from '../checkpoint/durable-file.js';
import type { EpochSink } from './out-drain.js';

const pad = (n: number): string => String(n).padStart(8, '0');

/**
 * The exactly-once file sink used with checkpoints: results of checkpoint
 * epoch e (fired after checkpoint e-1, before e) go to `PATH.part-<e>.inprogress`,
 * renamed to `PATH.part-<e>` once checkpoint e is complete. A reader that takes
 * only committed parts sees every window firing exactly once, whatever
 * crashes and restores happened in between.
 */
export class PartFileSink implements EpochSink {
  lines = 0;
  private readonly streams = new Map<number, WriteStream>();
  private error: Error | undefined;

  constructor(readonly name: string, private readonly path: string) {}

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
    if (this.error) throw new SabreError('ERR_SINK', `${this.name}: ${this.error.message}`, { cause: this.error });
    let s = this.streams.get(epoch);
    if (!s) {
      s = createWriteStream(`${this.partPath(epoch)}.inprogress`, { flags: 'w', highWaterMark: 1 << 20 });
      s.on('error', (e: Error) => { this.error = e; });
      this.streams.set(epoch, s);
    }
    this.lines += lines;
    return s.write(chunk);
  }

  /** Checkpoint `epoch` is durable: flush, fsync and rename every part up to it. */
  async commit(epoch: number): Promise<void> {
    for (const e of [...this.streams.keys()].sort((a, b) => a - b)) {
      if (e > epoch) break;
      const s = this.streams.get(e)!;
      this.streams.delete(e);
      await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
      fsyncFile(`${this.partPath(e)}.inprogress`);
      renameSync(`${this.partPath(e)}.inprogress`, this.partPath(e));
    }
    fsyncDir(dirname(this.path) || '.');
  }

  async drained(): Promise<void> {
    for (const s of this.streams.values()) if (s.writableNeedDrain) await once(s, 'drain');
  }

  /** Close without committing: uncommitted parts stay `.inprogress` and are discarded or committed on recovery. */
  async close(): Promise<void> {
    for (const s of this.streams.values()) {
      await new Promise<void>((resolve) => s.end(() => resolve()));
    }
    this.streams.clear();
  }
}
