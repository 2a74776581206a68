// HyperLogLog registers (Flajolet et al. 2007) over a 64-bit hash: the top
// `p` bits pick a register, the rank of the rest (leading zeros + 1) is kept
// if larger. A 64-bit hash needs no large-range correction; small
// cardinalities use linear counting, as in the paper.

export const HLL_MIN_PRECISION = 4;
export const HLL_MAX_PRECISION = 16;
export const HLL_DEFAULT_PRECISION = 12;

/** Fold the hash (hi, lo) into registers of precision p (regs.length === 2^p). */
export function hllAdd(regs: Uint8Array, p: number, hi: number, lo: number): void {
  const idx = hi >>> (32 - p);
  const rest = hi << p;
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(lo) + 1;
  if (rank > regs[idx]!) regs[idx] = rank;
}

/** Fold b into a (same precision). */
export function hllMerge(a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < a.length; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
}

/** Estimated distinct count (not rounded). */
export function hllEstimate(regs: Uint8Array): number {
  const m = regs.length;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    const r = regs[i]!;
    sum += 1 / 2 ** r;
    if (r === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
}
