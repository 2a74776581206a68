// How a rewind's snapshot files reach the workers (Engine.rewind, src/engine/rewind.ts):
// a worker's event loop is blocked for the whole run, so it cannot be sent a
// message. The main thread writes the list here before it writes REWIND(n)
// into the rings; a worker reads it when every one of its rings delivered
// REWIND(n) — after the write, since the frame follows it on the same thread.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SabreError } from '../errors.js';

/** The file of rewind number `n` in `dir` (the checkpoint dir, or a per-engine temporary one). */
export function rewindFilePath(dir: string, n: number): string {
  return join(dir, `rewind-${n}.json`);
}

/** List the snapshot files rewind `n` loads (any layout restore takes: worker-W.snap, partition-P.snap). */
export function writeRewindFile(dir: string, n: number, files: readonly string[]): void {
  writeFileSync(rewindFilePath(dir, n), JSON.stringify({ rewind: n, files }));
}

/** The snapshot files of rewind `n` (a worker's side). */
export function readRewindFile(dir: string, n: number): string[] {
  const path = rewindFilePath(dir, n);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SabreError('ERR_INTERNAL', `rewind ${n}: cannot read its file list ${path}: ${(e as Error).message}`, { cause: e });
  }
  const files = (parsed as { files?: unknown }).files;
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string')) {
    throw new SabreError('ERR_INTERNAL', `rewind ${n}: ${path} holds no list of files`);
  }
  return files as string[];
}
