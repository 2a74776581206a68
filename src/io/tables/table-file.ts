// A lookup table the main thread keeps for the workers (src/job/lookup.ts):
// one NDJSON line per live key, the last value of a key winning and a null
// value deleting it. Rewritten whole, atomically (a temp file renamed over
// it), so a worker reloading it never reads half a table; at most once per
// `minIntervalMs`, so a busy topic does not make every worker reload
// continuously.
import { renameSync, writeFileSync } from 'node:fs';

export class TableFile {
  private readonly rows = new Map<string, string>();
  private dirty = true;
  private lastWrite = -Infinity;
  /** Rewrites so far (the first makes the file exist). */
  writes = 0;

  constructor(readonly path: string, private readonly minIntervalMs = 1000) {}

  get size(): number {
    return this.rows.size;
  }

  /** The row of `key` is now `line` (one JSON object, no line break), or gone when null. */
  set(key: string, line: string | null): void {
    if (line === null) {
      if (this.rows.delete(key)) this.dirty = true;
      return;
    }
    if (this.rows.get(key) === line) return;
    this.rows.set(key, line);
    this.dirty = true;
  }

  /** Rewrite the file now if anything changed since the last write. */
  writeNow(now: number): void {
    if (!this.dirty) return;
    let text = '';
    for (const line of this.rows.values()) text += line + '\n';
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
    this.dirty = false;
    this.lastWrite = now;
    this.writes++;
  }

  /** Rewrite if something changed and the last write is at least minIntervalMs old. */
  writeIfDue(now: number): void {
    if (this.dirty && now - this.lastWrite >= this.minIntervalMs) this.writeNow(now);
  }
}
