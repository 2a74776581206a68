import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SabreError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';

/**
 * Start-up check of every place a run writes to, before anything is opened
 * or read: a file target (--sink, --late-output, --dead-letter) needs an
 * existing, writable directory, and the checkpoint directory (created with
 * its parents) needs a writable ancestor. Finding out mid-run would lose the
 * results read so far — and, with checkpoints, could leave a checkpoint that
 * claims output which never reached its target.
 */
export function checkOutputTargets(o: ResolvedOptions, more: readonly (readonly [string, string])[] = []): void {
  // `more`: a job's named sinks, as [how messages name it, its target].
  const targets: (readonly [string, string])[] = [['--sink', o.sink], ['--late-output', o.lateOutput], ['--dead-letter', o.deadLetter], ...more];
  for (const [option, spec] of targets) {
    if (!spec.startsWith('file:') || spec.length <= 5) continue;
    const path = spec.slice(5);
    const why = problem(() => directoryProblem(dirname(path)) ?? fileProblem(path));
    if (why !== undefined) throw new SabreError('ERR_SINK_OPEN', `${option} ${spec}: ${why}`);
  }
  if (o.checkpointDir !== undefined) {
    const dir = o.checkpointDir;
    const why = problem(() => creatableProblem(dir));
    if (why !== undefined) throw new SabreError('ERR_CHECKPOINT', `--checkpoint-dir ${dir}: ${why}`);
  }
}

/** What is wrong, as a phrase; an unexpected error (EIO, ELOOP…) says so itself. */
function problem(check: () => string | undefined): string | undefined {
  try {
    return check();
  } catch (e) {
    return (e as Error).message;
  }
}

/** undefined: nothing there (ENOTDIR: a file where a directory of the path should be — the caller finds which). */
function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function directoryProblem(dir: string): string | undefined {
  const st = stat(dir);
  if (st === undefined) {
    const file = fileOnPath(dir);
    return file !== undefined ? `${file} is a file, not a directory (ENOTDIR)` : `directory ${dir} does not exist (ENOENT); create it first`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory (ENOTDIR)`;
  if (!writable(dir)) return `cannot create files in directory ${dir} (EACCES)`;
  return undefined;
}

function fileProblem(path: string): string | undefined {
  const st = stat(path);
  if (st === undefined) return undefined;
  if (st.isDirectory()) return `${path} is a directory (EISDIR)`;
  if (!writable(path)) return `cannot write ${path} (EACCES)`;
  return undefined;
}

/** The nearest existing ancestor of a missing directory when it is a file (in.ndjson/x/y: in.ndjson), else undefined. */
function fileOnPath(dir: string): string | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = stat(d);
    if (st !== undefined) return st.isDirectory() ? undefined : d;
    if (dirname(d) === d) return undefined;
  }
}

/** The directory exists, or its nearest existing ancestor is a directory it can be created in. */
function creatableProblem(dir: string): string | undefined {
  const st = stat(dir);
  if (st !== undefined) {
    if (!st.isDirectory()) return `${dir} is not a directory (ENOTDIR)`;
    return writable(dir) ? undefined : `cannot create files in directory ${dir} (EACCES)`;
  }
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    const up = stat(d);
    if (up !== undefined) {
      if (!up.isDirectory()) return `${d} is not a directory (ENOTDIR)`;
      return writable(d) ? undefined : `cannot create directories in ${d} (EACCES)`;
    }
    if (dirname(d) === d) return `no existing ancestor directory (ENOENT)`;
  }
}
