/**
 * Bucket layout (int32 words). A bucket *is* the key's hot row: hash, id,
 * length, head of its window list and the first INLINE_BYTES bytes of the
 * key, 32 contiguous bytes. So looking a key up touches one cache line
 * (plus the arena only for keys longer than INLINE_BYTES), and the window
 * operator reads the window-list head from the same line — one dependent
 * cache miss less per record than a separate row table would cost.
 */
export const B_HASH = 0;
/** id + 1; 0 marks an empty bucket. */
export const B_ID1 = 1;
export const B_LEN = 2;
/** Head of the key's window list (a slot index, -1 = none); owned by the window operator. */
export const B_FIRST = 3;
/** Byte offset of the inline key bytes within a bucket. */
const B_INLINE_BYTE = 16;
export const B_STRIDE = 8;
export const INLINE_BYTES = 16;

/**
 * Open-addressing table of keys: murmur2 hash plus the key's UTF-8 bytes for
 * exact equality. Linear probing, load factor ≤ 0.5. Every key's bytes are
 * also kept whole in an arena (emit, snapshots); ids are dense and stable
 * for the table's life, while a key's bucket moves when the table grows, so
 * hot paths use the bucket returned by `find` right away and cold paths go
 * through the id accessors. Looking a key up from ring memory allocates nothing.
 */
export class KeyTable {
  buckets: Int32Array;
  private bucketBytes: Uint8Array;
  mask: number; // bucket count - 1
  // Per id (cold paths): hash, length, arena offset, current bucket.
  private idHash: Int32Array;
  private idLen: Int32Array;
  private idOffset: Int32Array;
  private idBucket: Int32Array;
  arena: Uint8Array;
  private arenaUsed = 0;
  size = 0;
  /**
   * Set by a job's PipelineOperator when several keyed stages (branches of one
   * key) use this table: the first stage's findForRecord() serves the others
   * for the same record, which clears it (nextRecord()) before the next.
   */
  sharedByStages = false;
  /** The current record's bucket once a stage found it (-1: not yet); only when sharedByStages. */
  private recordBucket = -1;

  constructor(initialCapacity = 1024) {
    const cap = pow2(Math.max(16, initialCapacity));
    this.buckets = new Int32Array(cap * 2 * B_STRIDE);
    this.bucketBytes = new Uint8Array(this.buckets.buffer);
    this.mask = cap * 2 - 1;
    this.idHash = new Int32Array(cap);
    this.idLen = new Int32Array(cap);
    this.idOffset = new Int32Array(cap);
    this.idBucket = new Int32Array(cap);
    this.arena = new Uint8Array(cap * 16);
  }

  /**
   * Bucket of the key whose bytes are src[start, start+len), inserting it if
   * new. Read `buckets` after the call (an insert may have grown the table).
   */
  find(hash: number, src: Uint8Array, start: number, len: number): number {
    const b = this.probe(hash, src, start, len);
    return b >= 0 ? b : this.insert(~b, hash, src, start, len);
  }

  /**
   * find() for the record being processed: on a table shared by stages, the
   * first stage's lookup is the answer for the rest of the record (the
   * caller clears it with nextRecord() before the next one).
   */
  findForRecord(hash: number, src: Uint8Array, start: number, len: number): number {
    if (this.recordBucket >= 0) return this.recordBucket;
    const b = this.find(hash, src, start, len);
    if (this.sharedByStages) this.recordBucket = b;
    return b;
  }

  /** A new record: findForRecord() looks its key up again. */
  nextRecord(): void {
    this.recordBucket = -1;
  }

  /** Bucket of the key whose bytes are src[start, start+len), or -1 if it is not in the table (nothing is added). */
  lookup(hash: number, src: Uint8Array, start: number, len: number): number {
    const b = this.probe(hash, src, start, len);
    return b >= 0 ? b : -1;
  }

  /** The key's bucket, or ~(the empty bucket where it would go): one probe for find() and lookup(). */
  private probe(hash: number, src: Uint8Array, start: number, len: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    // Fibonacci-scramble the hash: murmur2's low bits already chose the partition.
    let b = Math.imul(hash, 0x9e3779b1) & mask;
    for (;;) {
      const w = b * B_STRIDE;
      const id1 = buckets[w + B_ID1]!;
      if (id1 === 0) return ~b;
      if (buckets[w + B_HASH] === hash && buckets[w + B_LEN] === len && this.bytesEqual(w, id1 - 1, src, start, len)) return b;
      b = (b + 1) & mask;
    }
  }

  /** Id of a key (inserting it if new): find() for callers that keep the key, not the bucket. */
  idOf(hash: number, src: Uint8Array, start: number, len: number): number {
    const b = this.find(hash, src, start, len);
    return this.buckets[b * B_STRIDE + B_ID1]! - 1;
  }

  private bytesEqual(w: number, id: number, src: Uint8Array, start: number, len: number): boolean {
    const inline = this.bucketBytes;
    const o = w * 4 + B_INLINE_BYTE;
    const n = len < INLINE_BYTES ? len : INLINE_BYTES;
    for (let i = 0; i < n; i++) if (inline[o + i] !== src[start + i]) return false;
    if (len <= INLINE_BYTES) return true;
    const a = this.arena;
    const ao = this.idOffset[id]!;
    for (let i = INLINE_BYTES; i < len; i++) if (a[ao + i] !== src[start + i]) return false;
    return true;
  }

  private insert(bucket: number, hash: number, src: Uint8Array, start: number, len: number): number {
    const id = this.size;
    if (id + 1 > this.idHash.length) {
      this.grow();
      return this.find(hash, src, start, len);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    for (let i = 0; i < len; i++) this.arena[this.arenaUsed + i] = src[start + i]!;
    this.idHash[id] = hash;
    this.idLen[id] = len;
    this.idOffset[id] = this.arenaUsed;
    this.arenaUsed += len;
    const w = bucket * B_STRIDE;
    this.buckets[w + B_HASH] = hash;
    this.buckets[w + B_ID1] = id + 1;
    this.buckets[w + B_LEN] = len;
    this.buckets[w + B_FIRST] = -1;
    const o = w * 4 + B_INLINE_BYTE;
    const n = len < INLINE_BYTES ? len : INLINE_BYTES;
    for (let i = 0; i < n; i++) this.bucketBytes[o + i] = src[start + i]!;
    this.idBucket[id] = bucket;
    this.size++;
    return bucket;
  }

  /** Double capacity and rehash (load factor stays ≤ 0.5); buckets move, ids stay. */
  private grow(): void {
    this.recordBucket = -1; // buckets move
    const cap = this.idHash.length * 2;
    const grown = (a: Int32Array): Int32Array => { const g = new Int32Array(cap); g.set(a); return g; };
    this.idHash = grown(this.idHash);
    this.idLen = grown(this.idLen);
    this.idOffset = grown(this.idOffset);
    this.idBucket = grown(this.idBucket);
    const old = this.buckets;
    const oldCount = old.length / B_STRIDE;
    this.buckets = new Int32Array(cap * 2 * B_STRIDE);
    this.bucketBytes = new Uint8Array(this.buckets.buffer);
    this.mask = cap * 2 - 1;
    for (let ob = 0; ob < oldCount; ob++) {
      const id1 = old[ob * B_STRIDE + B_ID1]!;
      if (id1 === 0) continue;
      let b = Math.imul(old[ob * B_STRIDE + B_HASH]!, 0x9e3779b1) & this.mask;
      while (this.buckets[b * B_STRIDE + B_ID1] !== 0) b = (b + 1) & this.mask;
      this.buckets.set(old.subarray(ob * B_STRIDE, (ob + 1) * B_STRIDE), b * B_STRIDE);
      this.idBucket[id1 - 1] = b;
    }
  }

  // Accessors by id for cold paths (snapshots, emit, session merges, tests).
  hash(id: number): number { return this.idHash[id]!; }
  keyLength(id: number): number { return this.idLen[id]!; }
  keyOffset(id: number): number { return this.idOffset[id]!; }
  firstWindow(id: number): number { return this.buckets[this.idBucket[id]! * B_STRIDE + B_FIRST]!; }
  setFirstWindow(id: number, s: number): void { this.buckets[this.idBucket[id]! * B_STRIDE + B_FIRST] = s; }

  /** Bytes held by the table (for the memory-per-key figures). */
  bytes(): number {
    return this.buckets.byteLength + this.arena.byteLength
      + this.idHash.byteLength + this.idLen.byteLength + this.idOffset.byteLength + this.idBucket.byteLength;
  }
}

function pow2(n: number): number {
  let c = 1;
  while (c < n) c <<= 1;
  return c;
}
