/**
 * Open-addressing table of keys, in typed arrays: key hash plus the key's
 * UTF-8 bytes (kept in an arena) for exact equality. Looking a key up from
 * ring memory allocates nothing; ids are dense and stable for the table's
 * life, so other structures index per-key data by id.
 */
export class KeyTable {
  private slots: Int32Array; // id + 1 per bucket, 0 = empty
  private mask: number;
  hashes: Int32Array; // per id
  keyOffsets: Int32Array; // per id, into `arena`
  keyLengths: Int32Array; // per id
  /** Per id: head of that key's window list (a slot index, -1 = none). Owned by the window store. */
  firstWindow: Int32Array;
  arena: Uint8Array;
  private arenaUsed = 0;
  size = 0;

  constructor(initialCapacity = 1024) {
    const cap = pow2(Math.max(16, initialCapacity));
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    this.hashes = new Int32Array(cap);
    this.keyOffsets = new Int32Array(cap);
    this.keyLengths = new Int32Array(cap);
    this.firstWindow = new Int32Array(cap).fill(-1);
    this.arena = new Uint8Array(cap * 16);
  }

  /** Id of the key whose bytes are src[start, start+len), inserting it if new. */
  idOf(hash: number, src: Uint8Array, start: number, len: number): number {
    const slots = this.slots;
    const mask = this.mask;
    // Fibonacci-scramble the hash: murmur2's low bits already chose the partition.
    let b = Math.imul(hash, 0x9e3779b1) & mask;
    for (;;) {
      const s = slots[b]!;
      if (s === 0) break;
      const id = s - 1;
      if (this.hashes[id] === hash && this.keyLengths[id] === len && this.bytesEqual(id, src, start, len)) return id;
      b = (b + 1) & mask;
    }
    return this.insert(b, hash, src, start, len);
  }

  private bytesEqual(id: number, src: Uint8Array, start: number, len: number): boolean {
    const a = this.arena;
    const o = this.keyOffsets[id]!;
    for (let i = 0; i < len; i++) if (a[o + i] !== src[start + i]) return false;
    return true;
  }

  private insert(bucket: number, hash: number, src: Uint8Array, start: number, len: number): number {
    const id = this.size;
    if (id === this.hashes.length) {
      this.growIds();
      return this.idOf(hash, src, start, len);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    for (let i = 0; i < len; i++) this.arena[this.arenaUsed + i] = src[start + i]!;
    this.keyOffsets[id] = this.arenaUsed;
    this.keyLengths[id] = len;
    this.hashes[id] = hash;
    this.firstWindow[id] = -1;
    this.arenaUsed += len;
    this.slots[bucket] = id + 1;
    this.size++;
    return id;
  }

  /** Double id capacity and rehash (load factor stays ≤ 0.5). */
  private growIds(): void {
    const cap = this.hashes.length * 2;
    this.hashes = grow(this.hashes, cap);
    this.keyOffsets = grow(this.keyOffsets, cap);
    this.keyLengths = grow(this.keyLengths, cap);
    const fw = new Int32Array(cap).fill(-1);
    fw.set(this.firstWindow);
    this.firstWindow = fw;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let id = 0; id < this.size; id++) {
      let b = Math.imul(this.hashes[id]!, 0x9e3779b1) & this.mask;
      while (this.slots[b] !== 0) b = (b + 1) & this.mask;
      this.slots[b] = id + 1;
    }
  }

  /** Bytes held by the table (for the memory-per-key figures). */
  bytes(): number {
    return this.slots.byteLength + this.hashes.byteLength * 4 + this.arena.byteLength;
  }
}

function pow2(n: number): number {
  let c = 1;
  while (c < n) c <<= 1;
  return c;
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
