// A process stage's section of a worker's snapshot file (the pipeline
// operator frames it and the file carries the CRC). Little-endian:
//
//   u32 "PROC" tag  u32 version  u32 keyGroups  u32 partitions  u32 partCount
//   per partition of the worker: u32 global id  f64 watermark  f64 maxTs
//   u32 keyCount
//   per key with state or timers: i32 hash  u32 len  key bytes  u32 len  state JSON
//     u32 n  n × (f64 time  f64 seq)   event-time timers
//     u32 n  n × (f64 time  f64 seq)   processing-time timers
//
// Keys are stored with their hash, so a restore onto another layout keeps
// the keys whose key group the new worker owns (as restoreSnapshots does),
// and seq keeps the firing order of timers due at the same time.
import { ByteReader, ByteWriter } from '../../checkpoint/byte-writer.js';
import { SabreError } from '../../errors.js';

const TAG = 0x434f5250; // "PROC" read as little-endian bytes
export const PROCESS_SNAPSHOT_VERSION = 1;

export interface StoredMark { partition: number; watermark: number; maxTs: number }

export interface StoredProcessKey {
  hash: number;
  key: Uint8Array;
  state: string;
  /** Flat (time, seq) pairs. */
  event: number[];
  proc: number[];
}

export interface StoredProcessSection {
  keyGroups: number;
  partitions: number;
  marks: StoredMark[];
  keys: StoredProcessKey[];
}

const encoder = new TextEncoder();

export class ProcessSnapshotWriter {
  private readonly w = new ByteWriter(4096);
  private keyCountAt = -1;
  private keyCount = 0;

  constructor(keyGroups: number, partitions: number, marks: readonly StoredMark[]) {
    const w = this.w;
    w.u32(TAG);
    w.u32(PROCESS_SNAPSHOT_VERSION);
    w.u32(keyGroups);
    w.u32(partitions);
    w.u32(marks.length);
    for (const m of marks) { w.u32(m.partition); w.f64(m.watermark); w.f64(m.maxTs); }
    this.keyCountAt = w.length;
    w.u32(0);
  }

  key(hash: number, arena: Uint8Array, off: number, len: number, state: string,
    event: ReadonlyMap<number, number> | null, proc: ReadonlyMap<number, number> | null): void {
    const w = this.w;
    w.i32(hash);
    w.u32(len);
    w.bytes(arena, off, off + len);
    const s = encoder.encode(state);
    w.u32(s.length);
    w.bytes(s);
    for (const set of [event, proc]) {
      w.u32(set === null ? 0 : set.size);
      if (set !== null) for (const [t, seq] of set) { w.f64(t); w.f64(seq); }
    }
    this.keyCount++;
  }

  result(): Uint8Array {
    this.w.setU32(this.keyCountAt, this.keyCount);
    return this.w.result().slice();
  }
}

/** Parse one worker's section; anything malformed is ERR_CHECKPOINT_CORRUPT naming `where`. */
export function readProcessSection(buf: Uint8Array, where: string): StoredProcessSection {
  const corrupt = (why: string): never => {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${where}: process state ${why}`);
  };
  const r = new ByteReader(buf);
  try {
    if (r.u32() !== TAG) corrupt('section not found (wrong tag)');
    const version = r.u32();
    if (version !== PROCESS_SNAPSHOT_VERSION) corrupt(`version ${version}, this Sabre reads ${PROCESS_SNAPSHOT_VERSION}`);
    const keyGroups = r.u32();
    const partitions = r.u32();
    const marks: StoredMark[] = [];
    for (let n = r.u32(), i = 0; i < n; i++) marks.push({ partition: r.u32(), watermark: r.f64(), maxTs: r.f64() });
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const keys: StoredProcessKey[] = [];
    for (let n = r.u32(), i = 0; i < n; i++) {
      const hash = r.i32();
      const key = r.bytes(r.u32()).slice();
      const state = decoder.decode(r.bytes(r.u32()));
      const timers = (): number[] => {
        const out: number[] = [];
        for (let m = r.u32(), j = 0; j < m; j++) out.push(r.f64(), r.f64());
        return out;
      };
      const event = timers();
      keys.push({ hash, key, state, event, proc: timers() });
    }
    if (r.pos !== buf.length) corrupt(`has ${buf.length - r.pos} bytes after its end`);
    return { keyGroups, partitions, marks, keys };
  } catch (e) {
    if (e instanceof SabreError) throw e;
    return corrupt(`malformed: ${(e as Error).message}`);
  }
}
