// The messages of a job's changelog topic. Unit p (input partition p) at
// checkpoint c is written to changelog partition p as its state cut into
// chunks, keyed `p/i`, then a head, keyed `p`, that names the checkpoint,
// the chunk count, the state's size and CRC-32, and the input offset the
// state belongs with. Compaction keeps the latest value of each key, so the
// topic holds one head and its chunks per unit; a unit whose state shrank
// tombstones the chunk keys it no longer uses. A chunk carries its
// checkpoint id, so a head is only ever assembled from its own chunks.
//
// Every value starts with the same header (big-endian):
//   magic u32 'SBCL' @0, version u8 @4, kind u8 @5 (0 chunk, 1 head),
//   checkpoint u64 @6, partition u32 @14, then
//   chunk: index u32 @18, state bytes @22..
//   head:  chunk count u32 @18, total bytes u64 @22, crc32 u32 @30,
//          job (u16 length + UTF-8) @34, source offset (u16 length + UTF-8).
// A reader refuses a version it does not know (ERR_CHANGELOG_CORRUPT), so a
// format change bumps VERSION.
import { crc32 } from '../../../checkpoint/crc32.js';
import { SabreError } from '../../../errors.js';

/** State bytes per chunk message: with its header well under the broker's default max.message.bytes (1 MiB). */
export const CHUNK_BYTES = 512 << 10;

const MAGIC = 0x5342434c; // 'SBCL'
const VERSION = 1;
const KIND_CHUNK = 0;
const KIND_HEAD = 1;

const AT_VERSION = 4;
const AT_KIND = 5;
const AT_CHECKPOINT = 6;
const AT_PARTITION = 14;
const AT_INDEX = 18;
const CHUNK_HEADER_BYTES = 22;
const AT_CHUNKS = 18;
const AT_TOTAL = 22;
const AT_CRC = 30;
const AT_STRINGS = 34;
/** Longest job fingerprint or source offset a head holds (a u16 length). */
const MAX_STRING_BYTES = 0xffff;

/** One unit's state at one checkpoint: what is written, and what a restore gets back. */
export interface UnitState {
  /** The input partition (and changelog partition). */
  partition: number;
  checkpoint: number;
  /** The job's fingerprint: a restore checks the state is its own. */
  job: string;
  /** The next offset of input partition `partition` to read after restoring this state. */
  sourceOffset: string;
  state: Uint8Array;
}

/** A message for the changelog topic; `value` null is a tombstone. */
export interface ChangelogMessage {
  partition: number;
  key: string;
  value: Buffer | null;
}

/** A decoded head: everything of a UnitState but its bytes. */
export interface ChangelogHead {
  partition: number;
  checkpoint: number;
  job: string;
  sourceOffset: string;
  chunks: number;
  bytes: number;
  crc: number;
}

/** A decoded chunk: `data` is a view of the message's value. */
export interface ChangelogChunk {
  partition: number;
  checkpoint: number;
  index: number;
  data: Buffer;
}

export const headKey = (partition: number): string => `${partition}`;
export const chunkKey = (partition: number, index: number): string => `${partition}/${index}`;

/** A changelog key: a head's (`chunk` undefined) or a chunk's; undefined when it is neither. */
export function parseChangelogKey(key: string): { partition: number; chunk: number | undefined } | undefined {
  const m = /^(0|[1-9]\d{0,9})(?:\/(0|[1-9]\d{0,9}))?$/.exec(key);
  if (!m) return undefined;
  return { partition: Number(m[1]), chunk: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Chunks a state of `bytes` bytes takes (0 for an empty state). */
export const chunkCount = (bytes: number): number => Math.ceil(bytes / CHUNK_BYTES);

/**
 * The messages that write unit `u`, in order: its chunks, its head, then
 * tombstones for the chunks its previous checkpoint had beyond this one's
 * (`previousChunks`, the chunk count of the head it replaces).
 */
export function changelogMessages(u: UnitState, previousChunks = 0): ChangelogMessage[] {
  checkUnit(u);
  const p = u.partition;
  const n = chunkCount(u.state.length);
  const out: ChangelogMessage[] = [];
  for (let i = 0; i < n; i++) {
    const data = u.state.subarray(i * CHUNK_BYTES, Math.min(u.state.length, (i + 1) * CHUNK_BYTES));
    const value = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + data.length);
    writeHeader(value, KIND_CHUNK, u.checkpoint, p);
    value.writeUInt32BE(i, AT_INDEX);
    value.set(data, CHUNK_HEADER_BYTES);
    out.push({ partition: p, key: chunkKey(p, i), value });
  }
  out.push({ partition: p, key: headKey(p), value: encodeHead(u, n) });
  for (let i = n; i < previousChunks; i++) out.push({ partition: p, key: chunkKey(p, i), value: null });
  return out;
}

function checkUnit(u: UnitState): void {
  const bad = !isU32(u.partition) ? `partition ${u.partition}` : !Number.isSafeInteger(u.checkpoint) || u.checkpoint < 0 ? `checkpoint ${u.checkpoint}`
    : Buffer.byteLength(u.job) > MAX_STRING_BYTES ? 'a job fingerprint over 64 KiB'
      : !/^\d+$/.test(u.sourceOffset) ? `source offset "${u.sourceOffset}"` : undefined;
  if (bad !== undefined) throw new SabreError('ERR_INTERNAL', `changelog unit state with ${bad}`);
}

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function writeHeader(b: Buffer, kind: number, checkpoint: number, partition: number): void {
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt8(VERSION, AT_VERSION);
  b.writeUInt8(kind, AT_KIND);
  b.writeBigUInt64BE(BigInt(checkpoint), AT_CHECKPOINT);
  b.writeUInt32BE(partition, AT_PARTITION);
}

function encodeHead(u: UnitState, chunks: number): Buffer {
  const job = Buffer.from(u.job, 'utf8');
  const offset = Buffer.from(u.sourceOffset, 'latin1');
  const b = Buffer.allocUnsafe(AT_STRINGS + 2 + job.length + 2 + offset.length);
  writeHeader(b, KIND_HEAD, u.checkpoint, u.partition);
  b.writeUInt32BE(chunks, AT_CHUNKS);
  b.writeBigUInt64BE(BigInt(u.state.length), AT_TOTAL);
  b.writeUInt32BE(crc32(u.state), AT_CRC);
  let at = b.writeUInt16BE(job.length, AT_STRINGS);
  at += job.copy(b, at);
  at = b.writeUInt16BE(offset.length, at);
  offset.copy(b, at);
  return b;
}

/** The header a value of `kind` starts with; ERR_CHANGELOG_CORRUPT saying why when it does not. */
function readHeader(v: Buffer, kind: number, minBytes: number): { checkpoint: number; partition: number } {
  if (v.length < minBytes) throw corrupt(`${v.length} bytes, shorter than a ${kindName(kind)} header`);
  if (v.readUInt32BE(0) !== MAGIC) throw corrupt('not a Sabre changelog record (bad magic)');
  const version = v.readUInt8(AT_VERSION);
  if (version !== VERSION) throw corrupt(`format version ${version}, this Sabre reads version ${VERSION}`);
  const k = v.readUInt8(AT_KIND);
  if (k !== kind) throw corrupt(`a ${kindName(k)} record under a ${kindName(kind)} key`);
  const checkpoint = v.readBigUInt64BE(AT_CHECKPOINT);
  if (checkpoint > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`checkpoint id ${checkpoint} out of range`);
  return { checkpoint: Number(checkpoint), partition: v.readUInt32BE(AT_PARTITION) };
}

const kindName = (k: number): string => (k === KIND_CHUNK ? 'chunk' : k === KIND_HEAD ? 'head' : `kind-${k}`);

const corrupt = (why: string): SabreError => new SabreError('ERR_CHANGELOG_CORRUPT', why);

/** A head's value → its fields; ERR_CHANGELOG_CORRUPT (saying why) when it is not one. */
export function decodeHead(v: Buffer): ChangelogHead {
  const { checkpoint, partition } = readHeader(v, KIND_HEAD, AT_STRINGS + 4);
  const chunks = v.readUInt32BE(AT_CHUNKS);
  const total = v.readBigUInt64BE(AT_TOTAL);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`checkpoint ${checkpoint}: state size ${total} out of range`);
  const bytes = Number(total);
  if (chunks !== chunkCount(bytes)) throw corrupt(`checkpoint ${checkpoint}: head says ${chunks} chunks for ${bytes} bytes`);
  const crc = v.readUInt32BE(AT_CRC);
  const jobLength = v.readUInt16BE(AT_STRINGS);
  const atOffset = AT_STRINGS + 2 + jobLength;
  if (atOffset + 2 > v.length) throw corrupt(`checkpoint ${checkpoint}: head cut short`);
  const offsetLength = v.readUInt16BE(atOffset);
  if (atOffset + 2 + offsetLength !== v.length) throw corrupt(`checkpoint ${checkpoint}: head of ${v.length} bytes, its fields take ${atOffset + 2 + offsetLength}`);
  const job = v.toString('utf8', AT_STRINGS + 2, atOffset);
  const sourceOffset = v.toString('latin1', atOffset + 2, atOffset + 2 + offsetLength);
  if (!/^\d+$/.test(sourceOffset)) throw corrupt(`checkpoint ${checkpoint}: source offset "${sourceOffset}" is not an offset`);
  return { partition, checkpoint, job, sourceOffset, chunks, bytes, crc };
}

/** A chunk's value → its fields (data is a view of `v`); ERR_CHANGELOG_CORRUPT when it is not one. */
export function decodeChunk(v: Buffer): ChangelogChunk {
  const { checkpoint, partition } = readHeader(v, KIND_CHUNK, CHUNK_HEADER_BYTES);
  return { partition, checkpoint, index: v.readUInt32BE(AT_INDEX), data: v.subarray(CHUNK_HEADER_BYTES) };
}

/**
 * The state `head` describes, from its chunks' values (`chunkValue(i)`: the
 * latest value of key `p/i`, undefined when there is none). Each chunk must
 * be there, of this head's checkpoint and partition, full-sized but the last,
 * and the bytes must have the head's size and CRC; ERR_CHANGELOG_CORRUPT
 * naming the checkpoint and what is wrong otherwise.
 */
export function assembleUnit(head: ChangelogHead, chunkValue: (index: number) => Buffer | undefined): UnitState {
  const state = new Uint8Array(head.bytes);
  const at = `checkpoint ${head.checkpoint}`;
  for (let i = 0, pos = 0; i < head.chunks; i++) {
    const v = chunkValue(i);
    if (v === undefined) throw corrupt(`${at}: chunk ${i} of ${head.chunks} is missing`);
    let c: ChangelogChunk;
    try {
      c = decodeChunk(v);
    } catch (e) {
      throw corrupt(`${at}: chunk ${i}: ${(e as Error).message}`);
    }
    if (c.checkpoint !== head.checkpoint) throw corrupt(`${at}: chunk ${i} is of checkpoint ${c.checkpoint} (its own is missing)`);
    if (c.partition !== head.partition || c.index !== i) throw corrupt(`${at}: key ${chunkKey(head.partition, i)} holds chunk ${c.index} of partition ${c.partition}`);
    const want = Math.min(CHUNK_BYTES, head.bytes - pos);
    if (c.data.length !== want) throw corrupt(`${at}: chunk ${i} has ${c.data.length} bytes, ${want} expected`);
    state.set(c.data, pos);
    pos += want;
  }
  const crc = crc32(state);
  if (crc !== head.crc) throw corrupt(`${at}: CRC-32 of the ${head.bytes} state bytes is ${crc.toString(16)}, the head says ${head.crc.toString(16)}`);
  return { partition: head.partition, checkpoint: head.checkpoint, job: head.job, sourceOffset: head.sourceOffset, state };
}
