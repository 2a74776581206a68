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
//
// With checkpoints (switchAtCheckpoints) a changed table is parsed when seen
// but used only from the next checkpoint barrier on, and each checkpoint
// keeps a copy of the version its worker uses after the barrier (pin). So
// every record is enriched by the version recorded in the checkpoint before
// it, and a restore (adopt) replays the records after the checkpoint with
// that same version, not the table as it is by then.
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { fsyncDir, writeFileDurably } from '../../checkpoint/durable-file.js';
import type { TableSpec } from '../../job/lookup.js';
import { SabreError } from '../../errors.js';

/** How often maybeReload looks at the file. */
export const LOOKUP_CHECK_MS = 1000;

interface Parsed { rows: Map<string, object>; text: string; version: string }
interface Loaded extends Parsed { mtimeMs: number; size: number }

/** A table's version: the start of its content's SHA-256, so equal contents are one version wherever they were read. */
export function tableVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The name of a checkpoint's copy of table version `version` (checkpoint directories hold one per version in use). */
export function pinnedTableFile(version: string): string {
  return `lookup-${version}.ndjson`;
}

export class LookupTable {
  /** Where the rows come from (resolved). */
  readonly path: string;
  /** tableVersion() of the table in use: checkpoints record it. */
  version = '';
  /** Reloads that failed (the previous table stayed in use); lastError says why. */
  reloadErrors = 0;
  lastError = '';
  private rows: Map<string, object>;
  /** The text of the table in use, for a checkpoint's copy. */
  private text: string;
  private mtimeMs: number;
  private fileSize: number;
  private lastCheck = -Infinity;
  /** switchAtCheckpoints(): a changed table waits here for the next barrier. */
  private deferred = false;
  private pending: Parsed | undefined = undefined;
  /** The last copy pin() made, hard-linked into the next checkpoint while the version holds. */
  private pinnedPath = '';

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
    this.text = first.text;
    this.version = first.version;
    this.mtimeMs = first.mtimeMs;
    this.fileSize = first.size;
  }

  /** From now on a changed table is used from the next checkpoint barrier on (switchPending), not at once. */
  switchAtCheckpoints(): void {
    this.deferred = true;
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
      this.mtimeMs = next.mtimeMs;
      this.fileSize = next.size;
      // The same content again (rewritten, or the live table after a restore adopted it): nothing to switch.
      this.pending = next.version === this.version ? undefined : next;
      if (!this.deferred) this.switchPending();
    } catch (e) {
      // Remember the file as seen: it is not parsed again until it changes again.
      this.mtimeMs = st.mtimeMs;
      this.fileSize = st.size;
      this.failedReload((e as Error).message);
    }
  }

  /** At a checkpoint barrier: use the changed table seen since the last one, if any. True when it switched. */
  switchPending(): boolean {
    const next = this.pending;
    if (next === undefined) return false;
    this.pending = undefined;
    this.rows = next.rows;
    this.text = next.text;
    this.version = next.version;
    return true;
  }

  /**
   * Make sure checkpoint directory `dir` holds a copy of the version in use
   * (pinnedTableFile); returns its name. Workers sharing a table write the
   * same name: each writes its own temporary file and renames it over, so
   * the copy is whole whoever wins. A version unchanged since the last
   * checkpoint is hard-linked from that checkpoint's copy, not written again.
   */
  pin(dir: string): string {
    const name = pinnedTableFile(this.version);
    const path = join(dir, name);
    if (existsSync(path)) return name;
    let linked = false;
    if (this.pinnedPath.endsWith(name)) {
      try {
        linkSync(this.pinnedPath, path);
        linked = true;
      } catch {
        // The older checkpoint was pruned (or another worker linked it first): write it.
      }
    }
    if (!linked && !existsSync(path)) {
      const tmp = `${path}.tmp-${process.pid}-${threadId}`;
      writeFileDurably(tmp, this.text);
      renameSync(tmp, path);
    }
    fsyncDir(dir);
    this.pinnedPath = path;
    return name;
  }

  /**
   * Restore: use version `version`, whose copy a checkpoint kept at `path`,
   * until the table changes again (the live source is looked at on the next
   * check, and a different one switches as any change does). A copy whose
   * content is not its version is ERR_CHECKPOINT_CORRUPT.
   */
  adopt(version: string, path: string): void {
    if (version === this.version) return;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new SabreError('ERR_CHECKPOINT_CORRUPT', `lookup table copy ${path}: cannot read: ${(e as Error).message}`, { cause: e });
    }
    const found = tableVersion(text);
    if (found !== version) {
      throw new SabreError('ERR_CHECKPOINT_CORRUPT', `lookup table copy ${path}: its content is version ${found}, the checkpoint says ${version}`);
    }
    const parsed = this.parse(text, path);
    this.rows = parsed.rows;
    this.text = parsed.text;
    this.version = version;
    this.pending = undefined;
    this.pinnedPath = path;
    // Look at the live source again on the next check, whatever its mtime.
    this.mtimeMs = NaN;
  }

  /** A checkpoint's copy of the version to restore is not there (a restore from a changelog or rewind file): the live table stays, counted. */
  missingCopy(version: string, path: string): void {
    this.failedReload(`lookup table ${this.path}: the checkpoint's copy of version ${version} (${path}) is missing; the table as it is now is used`);
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
    return { ...this.parse(text, path), mtimeMs: st.mtimeMs, size: st.size };
  }

  private parse(text: string, path: string): Parsed {
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
    return { rows, text, version: tableVersion(text) };
  }
}

/** Rows are shared by every record that looks them up: freeze them whole, so one record's code cannot change another's. */
function deepFreeze(o: object): object {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}
