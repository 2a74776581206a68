import { readFileSync } from 'node:fs';
import { ByteReader, ByteWriter } from './byte-writer.js';
import { crc32 } from './crc32.js';
import { toPositive } from '../partition/murmur2.js';
import type { WindowOperator } from '../state/window-operator.js';
import { F_COUNT, F_END, F_FIRED_END, F_MAX, F_MIN, F_START, F_SUM, I_FLAGS, I_NEXT } from '../state/window-slots.js';
import { SabreError } from '../errors.js';

/**
 * A worker's state, by key group, in a versioned binary file with a CRC-32
 * trailer (little-endian):
 *
 *   "SBRSNAP1"  u32 version  u32 keyGroups  u32 worker  u32 groupCount
 *   per key group (ascending):
 *     u32 group  f64 watermark  f64 maxTs  u32 keyCount
 *     per key: i32 hash  u32 len  bytes  u32 windowCount
 *       per window: f64 start end count sum min max firedEnd  i32 flags  u32 userLen  user JSON bytes (UserAggregate.save(acc) when it has one)
 *   u32 crc32 of everything before it
 *
 * Because state is stored by key group, a checkpoint restores onto any number
 * of partitions and workers: each worker loads the groups it now owns.
 * A group's watermark is its old partition's; a new partition takes the
 * minimum over its groups, so nothing fires earlier than it would have.
 */
export const SNAPSHOT_MAGIC = 'SBRSNAP1';
/** A job pipeline's snapshot file (src/operators/pipeline/pipeline-snapshot.ts) starts with this instead. */
export const PIPE_MAGIC = 'SBRPIPE';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotLayout {
  keyGroups: number;
  partitions: number;
  worker: number;
  /** Global partition ids of the operator's local partitions. */
  ownPartitions: number[];
  /**
   * Only this global partition's key groups (a per-partition snapshot: with
   * --changelog each Kafka partition's state is written on its own); all of
   * the worker's when absent.
   */
  only?: number;
}

const encoder = new TextEncoder();

/** Serialise the operator's state. */
export function writeSnapshot(op: WindowOperator, layout: SnapshotLayout): Uint8Array {
  const { keyGroups, partitions, ownPartitions } = layout;
  const keys = op.keys;
  const slots = op.slots;
  const byGroup = new Map<number, number[]>();
  const localOf = new Map<number, number>(ownPartitions.map((p, i) => [p, i]));
  const only = layout.only;
  for (let g = 0; g < keyGroups; g++) if (localOf.has(g % partitions) && (only === undefined || g % partitions === only)) byGroup.set(g, []);
  for (let id = 0; id < keys.size; id++) {
    if (keys.firstWindow(id) < 0) continue; // no state: nothing to keep
    byGroup.get(toPositive(keys.hash(id)) % keyGroups)?.push(id);
  }
  const ua = op.config.userAggregate;
  const hasUser = ua !== undefined;
  // Sized up front (≈ 80 bytes a window, more with keys and user accumulators): growing by doubling copies the lot.
  const w = new ByteWriter(64 + slots.live * 80 + keys.size * 24);
  for (let i = 0; i < 8; i++) w.bytes(new Uint8Array([SNAPSHOT_MAGIC.charCodeAt(i)]));
  w.u32(SNAPSHOT_VERSION);
  w.u32(keyGroups);
  w.u32(layout.worker);
  w.u32(byGroup.size);
  for (const [g, ids] of [...byGroup].sort((a, b) => a[0] - b[0])) {
    const pi = localOf.get(g % partitions)!;
    w.u32(g);
    w.f64(op.wm[pi]!);
    w.f64(op.maxTs[pi]!);
    w.u32(ids.length);
    for (const id of ids) {
      w.i32(keys.hash(id));
      const len = keys.keyLength(id);
      const off = keys.keyOffset(id);
      w.u32(len);
      w.bytes(keys.arena, off, off + len);
      const at = w.length;
      w.u32(0);
      let n = 0;
      for (let s = keys.firstWindow(id); s >= 0; s = slots.int(s, I_NEXT)) {
        // The workers' partitions wait while this runs: no allocation per window (the order is the format's).
        w.f64(slots.float(s, F_START));
        w.f64(slots.float(s, F_END));
        w.f64(slots.float(s, F_COUNT));
        w.f64(slots.float(s, F_SUM));
        w.f64(slots.float(s, F_MIN));
        w.f64(slots.float(s, F_MAX));
        w.f64(slots.float(s, F_FIRED_END));
        w.i32(slots.int(s, I_FLAGS));
        if (hasUser) {
          const acc = slots.user[s];
          const user = encoder.encode(JSON.stringify(ua.save ? ua.save(acc) : acc));
          w.u32(user.length);
          w.bytes(user);
        } else {
          w.u32(0);
        }
        n++;
      }
      w.setU32(at, n);
    }
  }
  const body = w.result();
  w.u32(crc32(body));
  return w.result();
}

/** One window as stored. */
export interface StoredWindow {
  start: number; end: number; count: number; sum: number; min: number; max: number; firedEnd: number; flags: number;
  user: unknown;
}

export interface StoredKey {
  hash: number;
  key: Uint8Array;
  windows: StoredWindow[];
}

export interface StoredGroup {
  group: number;
  watermark: number;
  maxTs: number;
  keys: StoredKey[];
}

export interface StoredSnapshot {
  keyGroups: number;
  worker: number;
  groups: StoredGroup[];
}

/** Parse and verify a snapshot; a bad magic, version or checksum is ERR_CHECKPOINT_CORRUPT. */
export function readSnapshot(buf: Uint8Array, where: string): StoredSnapshot {
  const corrupt = (why: string): never => {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${where}: ${why}`);
  };
  if (buf.length < 28) corrupt(`truncated (${buf.length} bytes)`);
  const magic = String.fromCharCode(...buf.subarray(0, 8));
  if (magic !== SNAPSHOT_MAGIC) corrupt(`not a Sabre snapshot (magic ${JSON.stringify(magic)})`);
  const stored = new DataView(buf.buffer, buf.byteOffset + buf.length - 4, 4).getUint32(0, true);
  const actual = crc32(buf, 0, buf.length - 4);
  if (stored !== actual) corrupt(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): truncated or corrupt`);
  const r = new ByteReader(buf.subarray(0, buf.length - 4));
  r.pos = 8;
  try {
    const version = r.u32();
    if (version !== SNAPSHOT_VERSION) corrupt(`version ${version}, this Sabre reads ${SNAPSHOT_VERSION}`);
    const keyGroups = r.u32();
    const worker = r.u32();
    const groupCount = r.u32();
    const decoder = new TextDecoder();
    const groups: StoredGroup[] = [];
    for (let gi = 0; gi < groupCount; gi++) {
      const group = r.u32();
      const watermark = r.f64();
      const maxTs = r.f64();
      const keyCount = r.u32();
      const keys: StoredKey[] = [];
      for (let k = 0; k < keyCount; k++) {
        const hash = r.i32();
        const key = r.bytes(r.u32()).slice();
        const n = r.u32();
        const windows: StoredWindow[] = [];
        for (let i = 0; i < n; i++) {
          const win = { start: r.f64(), end: r.f64(), count: r.f64(), sum: r.f64(), min: r.f64(), max: r.f64(), firedEnd: r.f64(), flags: r.i32(), user: undefined as unknown };
          const ulen = r.u32();
          if (ulen > 0) win.user = JSON.parse(decoder.decode(r.bytes(ulen)));
          windows.push(win);
        }
        keys.push({ hash, key, windows });
      }
      groups.push({ group, watermark, maxTs, keys });
    }
    return { keyGroups, worker, groups };
  } catch (e) {
    if (e instanceof SabreError) throw e;
    return corrupt(`malformed: ${(e as Error).message}`);
  }
}

export function readSnapshotFile(path: string): StoredSnapshot {
  return readSnapshot(readSnapshotBytes(path), path);
}

/**
 * Check a snapshot file of either kind before it is restored: the core
 * job's (fully parsed) or a job pipeline's (its CRC-32 trailer here; the
 * worker that restores it reads its sections and their versions).
 */
export function verifySnapshotFile(path: string): void {
  const buf = readSnapshotBytes(path);
  if (String.fromCharCode(...buf.subarray(0, PIPE_MAGIC.length)) !== PIPE_MAGIC) {
    readSnapshot(buf, path);
    return;
  }
  if (buf.length < 16) throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${path}: truncated (${buf.length} bytes)`);
  const stored = new DataView(buf.buffer, buf.byteOffset + buf.length - 4, 4).getUint32(0, true);
  const actual = crc32(buf, 0, buf.length - 4);
  if (stored !== actual) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${path}: checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): truncated or corrupt`);
  }
}

/** A snapshot file's bytes, unverified; a file that cannot be read is ERR_CHECKPOINT_CORRUPT. */
export function readSnapshotBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${path}: cannot read: ${(e as Error).message}`);
  }
}

/**
 * Load into `op` the key groups it owns under the new layout (group g goes
 * to partition g % partitions). Watermarks: each local partition takes the
 * minimum over its groups.
 */
export function restoreSnapshots(op: WindowOperator, snapshots: StoredSnapshot[], layout: SnapshotLayout): number {
  const localOf = new Map<number, number>(layout.ownPartitions.map((p, i) => [p, i]));
  const ua = op.config.userAggregate;
  const wm = new Float64Array(layout.ownPartitions.length).fill(Infinity);
  const maxTs = new Float64Array(layout.ownPartitions.length).fill(Infinity);
  let restoredKeys = 0;
  for (const snap of snapshots) {
    if (snap.keyGroups !== layout.keyGroups) {
      throw new SabreError('ERR_INVALID_OPTION',
        `the checkpoint has ${snap.keyGroups} key groups, this job ${layout.keyGroups}: key groups are fixed for a job's life`);
    }
    for (const g of snap.groups) {
      const pi = localOf.get(g.group % layout.partitions);
      if (pi === undefined) continue;
      if (g.watermark < wm[pi]!) wm[pi] = g.watermark;
      if (g.maxTs < maxTs[pi]!) maxTs[pi] = g.maxTs;
    }
  }
  for (let pi = 0; pi < wm.length; pi++) {
    op.setWatermark(pi, wm[pi] === Infinity ? -Infinity : wm[pi]!, maxTs[pi] === Infinity ? -Infinity : maxTs[pi]!);
  }
  for (const snap of snapshots) {
    for (const g of snap.groups) {
      const pi = localOf.get(g.group % layout.partitions);
      if (pi === undefined) continue;
      for (const k of g.keys) {
        const keyId = op.keys.idOf(k.hash, k.key, 0, k.key.length);
        restoredKeys++;
        // Stored newest-first (list order); re-adopting in reverse keeps that order.
        for (let i = k.windows.length - 1; i >= 0; i--) {
          const w = k.windows[i]!;
          // A copy, so restoring the same parsed snapshot twice never loads an accumulator twice.
          op.adoptWindow(pi, keyId, ua?.load && w.user !== undefined ? { ...w, user: ua.load(w.user) } : w);
        }
      }
    }
  }
  return restoredKeys;
}
