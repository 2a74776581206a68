// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), so a key's
// Sabre key group and its Kafka partition come from the same hash.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** murmur2 of `len` bytes of `data` starting at `start`, as a signed int32 like Java's. */
export function murmur2(data: Uint8Array, start = 0, len = data.length - start): number {
  let h = (SEED ^ len) | 0;
  const n4 = len >> 2;
  for (let i = 0; i < n4; i++) {
    const o = start + i * 4;
    let k = (data[o]! & 0xff) | ((data[o + 1]! & 0xff) << 8) | ((data[o + 2]! & 0xff) << 16) | ((data[o + 3]! & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const o = start + (n4 << 2);
  const rest = len & 3;
  if (rest === 3) h ^= (data[o + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[o + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[o]! & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's toPositive. */
export function toPositive(hash: number): number {
  return hash & 0x7fffffff;
}
