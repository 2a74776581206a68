// A 64-bit hash of a record value for HyperLogLog: MurmurHash3 x86_32 run
// with two seeds. Numbers hash their IEEE-754 bits and strings their UTF-16
// code units, so neither allocates per record; other values hash their
// string form. Each type has its own seeds, so 1 and "1" differ (as they do
// for the exact countDistinct).

/** The last hash: [high word, low word]. Read right after hashValue. */
export const hashOut = new Uint32Array(2);

const f64 = new Float64Array(1);
const bits = new Uint32Array(f64.buffer);

const SEED_HI = 0x9747b28c, SEED_LO = 0x5bd1e995;
const TAG_STRING = 0, TAG_NUMBER = 0x2545f491, TAG_OTHER = 0x68e31da4;

function mixK(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string, seed: number): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mixH(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= mixK(s.charCodeAt(i));
  return fmix(h, n * 2);
}

function hashWords(lo: number, hi: number, seed: number): number {
  return fmix(mixH(mixH(seed | 0, lo), hi), 8);
}

/** Hash v into hashOut (v is neither null, undefined nor NaN: the caller skips those). */
export function hashValue(v: unknown): void {
  if (typeof v === 'number') {
    f64[0] = v === 0 ? 0 : v; // -0 and 0 are one value
    hashOut[0] = hashWords(bits[0]!, bits[1]!, SEED_HI ^ TAG_NUMBER);
    hashOut[1] = hashWords(bits[0]!, bits[1]!, SEED_LO ^ TAG_NUMBER);
  } else {
    const s = typeof v === 'string' ? v : String(v);
    const tag = typeof v === 'string' ? TAG_STRING : TAG_OTHER;
    hashOut[0] = hashString(s, SEED_HI ^ tag);
    hashOut[1] = hashString(s, SEED_LO ^ tag);
  }
}
