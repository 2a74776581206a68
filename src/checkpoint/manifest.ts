import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { createHash } from 'node:crypto';
import { SabreError } from '../errors.js';
import { verifySnapshotFile } from './snapshot.js';
import { fsyncDir, mkdirDurably, replaceFileAtomically } from './durable-file.js';
import type { ResolvedOptions } from '../options.js';

/**
 * A checkpoint is a directory `chk-<id>` holding one snapshot per worker and
 * a `manifest.json`, written last and atomically: a checkpoint exists once
 * its manifest does. Source positions live in the manifest. The file also
 * holds `checksum`, the SHA-256 of the JSON of every other field in file
 * order (see manifestChecksum), so a manifest whose values were altered is
 * detected like a corrupt snapshot.
 */
export interface Manifest {
  format: 'sabre-checkpoint';
  version: 1;
  id: number;
  completedAt: string;
  durationMs: number;
  /** Hash of the options that shape state (jobFingerprint); restore refuses another job's checkpoints, however asked. */
  job: string;
  keyGroups: number;
  partitions: number;
  workers: number;
  sources: { name: string; position: unknown }[];
  snapshots: { file: string; bytes: number }[];
  /** The input ended and END fired every window: nothing is left to restore but the positions. */
  final: boolean;
}

export const MANIFEST = 'manifest.json';

export function checkpointPath(dir: string, id: number): string {
  return join(dir, `chk-${String(id).padStart(8, '0')}`);
}

/** The options whose change would make old state meaningless. */
export function jobFingerprint(o: ResolvedOptions): string {
  const shape = {
    window: o.window, aggregates: o.aggregates, aggregateModule: o.aggregateModule ?? null,
    outOfOrderness: o.outOfOrderness, allowedLateness: o.allowedLateness, keyGroups: o.keyGroups,
    key: o.key, time: o.time, value: o.value, source: o.source,
    // A job module's state: its fields, key, windows, aggregates and process state (job/plan-shape.ts).
    ...(o.jobShape !== undefined ? { jobShape: o.jobShape } : {}),
    // A generator's input is its settings: a checkpoint of another sequence would resume the wrong records.
    ...(o.source === 'generator' ? {
      generator: {
        kind: o.generator, seed: o.seed, keys: o.keys, keyBytes: o.keyBytes, disorder: o.disorder,
        eventsPerMs: o.eventsPerMs,
      },
    } : {}),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/** The checksum of a manifest's fields (without `checksum`), as they are ordered in the file. */
export function manifestChecksum(fields: object): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export function writeManifest(dir: string, m: Manifest): string {
  const path = join(checkpointPath(dir, m.id), MANIFEST);
  const { checksum: _old, ...fields } = m as Manifest & { checksum?: string };
  // The snapshots' directory entries are durable before a manifest names them.
  mkdirDurably(dirname(path));
  fsyncDir(dirname(path));
  replaceFileAtomically(path, JSON.stringify({ ...fields, checksum: manifestChecksum(fields) }, null, 2) + '\n');
  return path;
}

/** Complete checkpoints in `dir`, newest first (ids only; not yet verified). */
export function listCheckpoints(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^chk-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(dir, m[0], MANIFEST)))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** Read a manifest and verify every snapshot it lists (checksums); throws ERR_CHECKPOINT_CORRUPT. */
export function loadVerified(manifestPath: string): { manifest: Manifest; snapshotFiles: string[] } {
  let m: Manifest;
  let checksum: unknown;
  try {
    ({ checksum, ...m } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest & { checksum?: unknown });
  } catch (e) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${manifestPath}: ${(e as Error).message}`);
  }
  if (checksum !== manifestChecksum(m)) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${manifestPath}: manifest checksum mismatch (${checksum === undefined ? 'no checksum' : 'its fields were altered'})`);
  }
  if (m.format !== 'sabre-checkpoint' || m.version !== 1) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${manifestPath}: not a version 1 Sabre checkpoint manifest`);
  }
  const base = dirname(manifestPath);
  const files = m.snapshots.map((s) => join(base, s.file));
  for (const [i, f] of files.entries()) {
    if (!existsSync(f) || statSync(f).size !== m.snapshots[i]!.bytes) {
      throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${f}: missing or of the wrong size (manifest says ${m.snapshots[i]!.bytes} bytes)`);
    }
    verifySnapshotFile(f); // verifies magic and checksum (and a core snapshot's version)
  }
  return { manifest: m, snapshotFiles: files };
}

export interface RestorePoint {
  manifest: Manifest;
  snapshotFiles: string[];
  /** Newer checkpoints skipped because they were corrupt, with why. */
  skipped: string[];
}

/**
 * The checkpoint to restore: `--restore PATH` (a manifest or its directory),
 * `--restore latest`, or automatically the newest complete checkpoint of the
 * same job. Corrupt checkpoints are reported and the previous one is used.
 * `newest`: no checkpoint after this id (a transactional sink committed the
 * results up to it only; see src/io/sinks/committing-sink.ts).
 */
export function findRestorePoint(o: ResolvedOptions, newest = Infinity): RestorePoint | undefined {
  const dir = o.checkpointDir;
  if (o.restore && o.restore !== 'latest') {
    const p = basename(o.restore) === MANIFEST ? o.restore : join(o.restore, MANIFEST);
    if (!existsSync(p)) {
      throw new SabreError('ERR_INVALID_OPTION', `--restore ${o.restore}: no checkpoint manifest at ${p} `
        + '(give a complete checkpoint: its chk-<id> directory or manifest.json, or latest)');
    }
    const v = loadVerified(p);
    refuseAnotherJob(o, v.manifest, `--restore ${o.restore}`);
    if (v.manifest.id > newest) {
      throw new SabreError('ERR_INVALID_OPTION', `--restore ${o.restore}: the results of checkpoint ${v.manifest.id} were never committed `
        + `to ${o.sink} (its transaction was aborted; the last committed is checkpoint ${newest}): restore that one or an older one`);
    }
    return { ...v, skipped: [] };
  }
  if (!dir) {
    if (o.restore === 'latest') throw new SabreError('ERR_INVALID_OPTION', '--restore latest needs --checkpoint-dir');
    return undefined;
  }
  const skipped: string[] = [];
  for (const id of listCheckpoints(dir)) {
    if (id > newest) continue;
    const path = join(checkpointPath(dir, id), MANIFEST);
    try {
      const v = loadVerified(path);
      refuseAnotherJob(o, v.manifest, o.restore === 'latest' ? `--restore latest: ${dir}` : dir!);
      return { ...v, skipped };
    } catch (e) {
      if ((e as SabreError).code !== 'ERR_CHECKPOINT_CORRUPT') throw e;
      skipped.push((e as Error).message);
    }
  }
  if (o.restore === 'latest' && skipped.length > 0) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `no usable checkpoint in ${dir}: ${skipped.join('; ')}`);
  }
  if (skipped.length > 0) {
    // Every checkpoint was corrupt: start from the beginning, and say so.
    process.stderr.write(`[sabre] no usable checkpoint in ${dir}, starting from the beginning: ${skipped.join('; ')}\n`);
  }
  return undefined;
}

/**
 * A checkpoint of another job (another window, aggregates, bounds, key
 * groups, fields or source: see jobFingerprint) is refused however it was
 * asked for — automatically, `--restore latest` or `--restore PATH`: its
 * state would be read as this job's, and the output would mix both jobs.
 */
function refuseAnotherJob(o: ResolvedOptions, m: Manifest, what: string): void {
  const job = jobFingerprint(o);
  if (m.job === job) return;
  if (o.jobShape !== undefined && m.job === jobFingerprint({ ...o, jobShape: undefined })) {
    // This job's options, fingerprinted as before job checkpoints carried their state's shape: its state cannot be checked.
    throw new SabreError('ERR_INVALID_OPTION', `${what}: checkpoint ${m.id} was written by a Sabre whose job checkpoints did not `
      + 'record the shape of the job\'s state, so it cannot be checked against this job module: restore it with that Sabre, '
      + 'or use another --checkpoint-dir');
  }
  throw new SabreError('ERR_INVALID_OPTION', `${what}: checkpoint ${m.id} is of another job (${m.job}; this one is ${job}: `
    + `the window, aggregates, bounds, key groups, fields or source differ${o.jobShape !== undefined ? ', or the job module\'s fields, key, windows, aggregates or process state' : ''}): `
    + 'run with the options and job it was taken with, or use another --checkpoint-dir');
}

/** Keep the newest `retained` complete checkpoints; remove older ones and abandoned (manifest-less) ones below the newest. */
export function pruneCheckpoints(dir: string, retained: number): void {
  const complete = listCheckpoints(dir);
  const keep = new Set(complete.slice(0, retained));
  const newest = complete[0] ?? 0;
  for (const f of readdirSync(dir)) {
    const m = /^chk-(\d+)$/.exec(f);
    if (!m) continue;
    const id = Number(m[1]);
    if (!keep.has(id) && id < newest) rmSync(join(dir, f), { recursive: true, force: true });
  }
}
