// A job pipeline's snapshot file: the sections of its state (window state in
// the snapshot format of src/checkpoint/snapshot.ts, process-function state,
// lookup table versions), framed so each part is restored by its owner.
//
//   "SBRPIPE"  u8 version  u32 sectionCount
//   per section: u32 kind  u32 length  bytes
//   u32 crc32 of everything before it
import { ByteReader, ByteWriter } from '../../checkpoint/byte-writer.js';
import { crc32 } from '../../checkpoint/crc32.js';
import { SabreError } from '../../errors.js';

import { PIPE_MAGIC } from '../../checkpoint/snapshot.js';

export { PIPE_MAGIC };
export const PIPE_VERSION = 1;

export const SECTION_WINDOW = 1;
export const SECTION_PROCESS = 2;
export const SECTION_LOOKUP = 3;

export interface Section {
  readonly kind: number;
  readonly bytes: Uint8Array;
}

export function writeSections(sections: readonly Section[]): Uint8Array {
  const w = new ByteWriter(64 + sections.reduce((n, s) => n + 8 + s.bytes.length, 0));
  w.bytes(new TextEncoder().encode(PIPE_MAGIC));
  w.bytes(new Uint8Array([PIPE_VERSION]));
  w.u32(sections.length);
  for (const s of sections) {
    w.u32(s.kind);
    w.u32(s.bytes.length);
    w.bytes(s.bytes);
  }
  const body = w.result();
  w.u32(crc32(body));
  return w.result();
}

/** The sections of a file; anything but a whole pipeline snapshot of this version is ERR_CHECKPOINT_CORRUPT. */
export function readSections(buf: Uint8Array, where: string): Section[] {
  const corrupt = (why: string): never => {
    throw new SabreError('ERR_CHECKPOINT_CORRUPT', `${where}: ${why}`);
  };
  if (buf.length < 16) corrupt(`truncated (${buf.length} bytes)`);
  const magic = String.fromCharCode(...buf.subarray(0, 7));
  if (magic !== PIPE_MAGIC) {
    corrupt(`not a job pipeline snapshot (magic ${JSON.stringify(magic)}): restore a checkpoint written by the same --job`);
  }
  if (buf[7] !== PIPE_VERSION) corrupt(`pipeline snapshot version ${buf[7]}, this Sabre reads ${PIPE_VERSION}`);
  const stored = new DataView(buf.buffer, buf.byteOffset + buf.length - 4, 4).getUint32(0, true);
  if (stored !== crc32(buf, 0, buf.length - 4)) corrupt('checksum mismatch: truncated or corrupt');
  const r = new ByteReader(buf.subarray(0, buf.length - 4));
  r.pos = 8;
  try {
    const n = r.u32();
    const out: Section[] = [];
    for (let i = 0; i < n; i++) {
      const kind = r.u32();
      out.push({ kind, bytes: r.bytes(r.u32()) });
    }
    return out;
  } catch (e) {
    return corrupt(`malformed: ${(e as Error).message}`);
  }
}
