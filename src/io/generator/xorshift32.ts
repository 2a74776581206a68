// The generator's PRNG (docs/SEMANTICS.md): xorshift32, chosen because the
// Rust and Go references can reproduce it bit for bit.

const GOLDEN = 0x9e3779b9;
const TWO_32 = 4294967296;

export class Xorshift32 {
  /** The state as a signed int32, so it stays a small integer in V8 (an unsigned one above 2^31 would be a heap number). */
  private x: number;

  constructor(seed: number) {
    const s = seed >>> 0;
    this.x = (s === 0 ? GOLDEN : s) | 0;
  }

  /** Next state, an integer in 1 … 2^32-1. */
  next(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x;
    return x >>> 0;
  }
}

/** floor(r * n / 2^32): exact in doubles while n < 2^21. */
export function uniform(r: number, n: number): number {
  return Math.floor((r * n) / TWO_32);
}
