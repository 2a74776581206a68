// Strings read from ring memory, interned per field: low-cardinality fields
// (status, symbol, merchant) repeat a few values millions of times, so a
// small direct-mapped cache of (bytes → string) makes their reads allocate
// nothing after the first sight. Bounded: a slot is overwritten by the next
// value that hashes to it, so high-cardinality fields cost one probe a read
// and keep no more than SLOTS strings alive.

const decoder = new TextDecoder();

/** Slots per cache (a power of two): room for a field of a few hundred values (500 merchants) with few collisions. */
export const INTERN_SLOTS = 4096;
/** Longer strings are decoded every time (they are rarely repeated values). */
export const INTERN_MAX_BYTES = 48;

export class InternCache {
  private readonly strings: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
  private readonly lens = new Int32Array(INTERN_SLOTS).fill(-1);
  private readonly bytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX_BYTES);
  hits = 0;
  misses = 0;

  /** The string of the UTF-8 bytes src[start, start+len). */
  get(src: Uint8Array, start: number, len: number): string {
    if (len > INTERN_MAX_BYTES) return decoder.decode(src.subarray(start, start + len));
    // FNV-1a over the bytes.
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ src[start + i]!, 0x01000193);
    const slot = (h ^ (h >>> 16)) & (INTERN_SLOTS - 1);
    const bytes = this.bytes;
    const base = slot * INTERN_MAX_BYTES;
    if (this.lens[slot] === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (bytes[base + i] !== src[start + i]) { same = false; break; }
      }
      if (same) {
        this.hits++;
        return this.strings[slot]!;
      }
    }
    this.misses++;
    const s = decoder.decode(src.subarray(start, start + len));
    for (let i = 0; i < len; i++) bytes[base + i] = src[start + i]!;
    this.lens[slot] = len;
    this.strings[slot] = s;
    return s;
  }
}
