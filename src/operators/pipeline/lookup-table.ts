// A lookup table on a worker (src/job/lookup.ts): an NDJSON file of rows
// loaded into a Map keyed by String(row[spec.key]), reloaded when the file
// changes. Loading is synchronous: a worker's event loop is blocked by its
// ring loop, so it cannot await a read.
//
// The file contract for a Kafka table (kafkaTable): the main thread reads the
// compacted topic and keeps one NDJSON file per topic, one row (the message's
// JSON value) per line; a key deleted by a null value is absent. It replaces
// the file whole (write a temporary file in the same directory, then rename
// it over the path), so a worker never reads a half-written table; a
// change is seen through the file's mtime and size. A user's file table is
// read the same way: if it is edited in place and a reload catches it
// half-written, the bad reload is counted and the previous table kept.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TableSpec } from '../../job/lookup.js';
import { SabreError } from '../../errors.js';

/** How often maybeReload looks at the file. */
export const LOOKUP_CHECK_MS = 1000;

interface Loaded { rows: Map<string, object>; mtimeMs: number; size: number }

export class LookupTable {
  /** Where the rows come from (resolved). */
  readonly path: string;
  /** `${mtimeMs}:${size}:${keys}` of the table in use: checkpoints record it. */
  version = '';
  /** Reloads that failed (the previous table stayed in use); lastError says why. */
  reloadErrors = 0;
  lastError = '';
  private rows: Map<string, object>;
  private mtimeMs: number;
  private fileSize: number;
  private lastCheck = -Infinity;

  constructor(private readonly spec: TableSpec<unknown>, files: Record<string, string>, resolveFrom: string = process.cwd()) {
    const src = spec.source;
    if (src.kind === 'file') {
      this.path = resolve(resolveFrom, src.path);
    } else {
      const f = files[src.topic];
      if (f === undefined) {
        throw new SabreError('ERR_INVALID_JOB', `lookup table on Kafka topic '${src.topic}' has no table file: the main thread must read the topic before workers start`);
      }
      this.path = resolve(resolveFrom, f);
    }
    const first = this.load();
    this.rows = first.rows;
    this.mtimeMs = first.mtimeMs;
    this.fileSize = first.size;
    this.version = `${first.mtimeMs}:${first.size}:${first.rows.size}`;
  }

  /** Keys in the table. */
  get size(): number { return this.rows.size; }

  /** The row whose key field equals String(key), or null. Rows are frozen and shared: do not change them. */
  get(key: unknown): object | null {
    if (key === null || key === undefined) return null;
    return this.rows.get(typeof key === 'string' ? key : String(key)) ?? null;
  }

  /** At most once a second (by `now`, epoch ms): reload if the file's mtime or size changed. A failed reload keeps the table in use. */
  maybeReload(now: number): void {
    if (now - this.lastCheck < LOOKUP_CHECK_MS) return;
    this.lastCheck = now;
    let st: { mtimeMs: number; size: number };
    try {
      st = statSync(this.path);
    } catch (e) {
      this.failedReload(`${this.path}: ${(e as Error).message}`);
      return;
    }
    if (st.mtimeMs === this.mtimeMs && st.size === this.fileSize) return;
    try {
      const next = this.load();
      this.rows = next.rows;
      this.mtimeMs = next.mtimeMs;
      this.fileSize = next.size;
      this.version = `${next.mtimeMs}:${next.size}:${next.rows.size}`;
    } catch (e) {
      // Remember the file as seen: it is not parsed again until it changes again.
      this.mtimeMs = st.mtimeMs;
      this.fileSize = st.size;
      this.failedReload((e as Error).message);
    }
  }

  private failedReload(why: string): void {
    this.reloadErrors++;
    this.lastError = why;
  }

  /** Read and parse the whole file; a line that is not a row is ERR_INVALID_JOB naming file:line. */
  private load(): Loaded {
    const path = this.path;
    let text: string;
    let st: { mtimeMs: number; size: number };
    try {
      // stat before read: if the file changes in between, the next check sees a newer mtime and reloads.
      st = statSync(path);
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new SabreError('ERR_INVALID_JOB', `lookup table ${path}: cannot read: ${(e as Error).message}`, { cause: e });
    }
    const keyField = this.spec.key;
    const rows = new Map<string, object>();
    let lineNo = 0;
    for (const raw of text.split('\n')) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      const bad = (why: string): never => {
        throw new SabreError('ERR_INVALID_JOB', `lookup table ${path}:${lineNo}: ${why}`);
      };
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (e) {
        bad(`invalid JSON (${(e as Error).message}): each line must be one JSON object`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) bad('not a JSON object: each line must be one row object');
      const k = (row as Record<string, unknown>)[keyField];
      if (typeof k !== 'string' && typeof k !== 'number') bad(`missing key field '${keyField}' (a string or a number)`);
      rows.set(String(k), deepFreeze(row as object));
    }
    return { rows, mtimeMs: st.mtimeMs, size: st.size };
  }
}

/** Rows are shared by every record that looks them up: freeze them whole, so one record's code cannot change another's. */
function deepFreeze(o: object): object {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}
