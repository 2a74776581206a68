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

  /**
   * Next state as a *signed* int32 (the unsigned draw of the spec is
   * `r >>> 0`). Signed, so the value is a small integer to V8 even when this
   * call is not inlined; an unsigned draw above 2^31 would be boxed.
   */
  nextInt32(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x;
    return x;
  }

  /** Next state, an integer in 1 … 2^32-1 (cold paths; hot ones use nextInt32). */
  next(): number {
    return this.nextInt32() >>> 0;
  }
}

/** floor(u * n / 2^32) for the unsigned draw u of the signed int32 `r`: exact in doubles while n < 2^21. */
export function uniform(r: number, n: number): number {
  return Math.floor(((r >>> 0) * n) / TWO_32);
}
