import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * mkdir -p, durably: every directory it creates is fsynced into its parent,
 * so a directory that existed before a crash exists after it (a chk-N
 * directory whose entry is lost would take its manifest with it).
 */
export function mkdirDurably(dir: string): void {
  const created = mkdirSync(dir, { recursive: true });
  if (created === undefined) return; // it existed already
  // mkdirSync returns the first directory it created: fsync the parent of each one, from `dir` up to that one.
  const first = resolve(created);
  for (let d = resolve(dir); ; d = dirname(d)) {
    fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/**
 * Write, fsync, close: the bytes are on disk when this returns. The new
 * file's directory entry is not fsynced here (that is one more fsync in a
 * worker's pause): whoever relies on the file fsyncs its directory first, as
 * writeManifest does for the snapshots before the manifest names them.
 */
export function writeFileDurably(path: string, bytes: Uint8Array | string): void {
  mkdirDurably(dirname(path));
  const fd = openSync(path, 'w');
  try {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Atomic replace: temp file, fsync, rename, fsync the directory. Readers see the old or the new file, never a part. */
export function replaceFileAtomically(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileDurably(tmp, bytes);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a file written by other means (e.g. a WriteStream that has finished). */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
