/** Per-key row in KeyTable.rows (int32 words). */
export const K_HASH = 0;
export const K_LEN = 1;
export const K_OFFSET = 2; // into `arena`
/** Head of the key's window list (a slot index, -1 = none); owned by the window operator. */
export const K_FIRST = 3;
export const K_STRIDE = 4;

/**
 * Open-addressing table of keys: murmur2 hash plus the key's UTF-8 bytes (in
 * an arena) for exact equality. Buckets hold (hash, id + 1) pairs, so a probe
 * compares hashes without touching the key's row; a key's row (hash, length,
 * offset, first window) is 16 contiguous bytes. Looking a key up from ring
 * memory allocates nothing; ids are dense and stable for the table's life.
 */
export class KeyTable {
  private buckets: Int32Array; // [hash, id + 1] per bucket; id + 1 == 0 is empty
  private mask: number; // bucket count - 1
  rows: Int32Array;
  arena: Uint8Array;
  private arenaUsed = 0;
  size = 0;

  constructor(initialCapacity = 1024) {
    const cap = pow2(Math.max(16, initialCapacity));
    this.buckets = new Int32Array(cap * 4);
    this.mask = cap * 2 - 1;
    this.rows = new Int32Array(cap * K_STRIDE);
    this.arena = new Uint8Array(cap * 16);
  }

  /** Id of the key whose bytes are src[start, start+len), inserting it if new. */
  idOf(hash: number, src: Uint8Array, start: number, len: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    // Fibonacci-scramble the hash: murmur2's low bits already chose the partition.
    let b = Math.imul(hash, 0x9e3779b1) & mask;
    for (;;) {
      const id1 = buckets[b * 2 + 1]!;
      if (id1 === 0) break;
      if (buckets[b * 2] === hash) {
        const r = (id1 - 1) * K_STRIDE;
        if (this.rows[r + K_LEN] === len && this.bytesEqual(this.rows[r + K_OFFSET]!, src, start, len)) return id1 - 1;
      }
      b = (b + 1) & mask;
    }
    return this.insert(b, hash, src, start, len);
  }

  private bytesEqual(o: number, src: Uint8Array, start: number, len: number): boolean {
    const a = this.arena;
    for (let i = 0; i < len; i++) if (a[o + i] !== src[start + i]) return false;
    return true;
  }

  private insert(bucket: number, hash: number, src: Uint8Array, start: number, len: number): number {
    const id = this.size;
    if ((id + 1) * K_STRIDE > this.rows.length) {
      this.grow();
      return this.idOf(hash, src, start, len);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    for (let i = 0; i < len; i++) this.arena[this.arenaUsed + i] = src[start + i]!;
    const r = id * K_STRIDE;
    this.rows[r + K_HASH] = hash;
    this.rows[r + K_LEN] = len;
    this.rows[r + K_OFFSET] = this.arenaUsed;
    this.rows[r + K_FIRST] = -1;
    this.arenaUsed += len;
    this.buckets[bucket * 2] = hash;
    this.buckets[bucket * 2 + 1] = id + 1;
    this.size++;
    return id;
  }

  /** Double capacity and rehash (load factor stays ≤ 0.5). */
  private grow(): void {
    const cap = (this.rows.length / K_STRIDE) * 2;
    const rows = new Int32Array(cap * K_STRIDE);
    rows.set(this.rows);
    this.rows = rows;
    this.buckets = new Int32Array(cap * 4);
    this.mask = cap * 2 - 1;
    for (let id = 0; id < this.size; id++) {
      const hash = rows[id * K_STRIDE + K_HASH]!;
      let b = Math.imul(hash, 0x9e3779b1) & this.mask;
      while (this.buckets[b * 2 + 1] !== 0) b = (b + 1) & this.mask;
      this.buckets[b * 2] = hash;
      this.buckets[b * 2 + 1] = id + 1;
    }
  }

  // Accessors for cold paths (snapshots, emit, tests).
  hash(id: number): number { return this.rows[id * K_STRIDE + K_HASH]!; }
  keyLength(id: number): number { return this.rows[id * K_STRIDE + K_LEN]!; }
  keyOffset(id: number): number { return this.rows[id * K_STRIDE + K_OFFSET]!; }
  firstWindow(id: number): number { return this.rows[id * K_STRIDE + K_FIRST]!; }
  setFirstWindow(id: number, s: number): void { this.rows[id * K_STRIDE + K_FIRST] = s; }

  /** Bytes held by the table (for the memory-per-key figures). */
  bytes(): number {
    return this.buckets.byteLength + this.rows.byteLength + this.arena.byteLength;
  }
}

function pow2(n: number): number {
  let c = 1;
  while (c < n) c <<= 1;
  return c;
}
