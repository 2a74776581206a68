//! Kafka's murmur2 (seed 0x9747b28c), as Sabre's partitioner computes it
//! (src/partition/murmur2.ts). Here it is only the key hash the generator
//! computes once per key and ships with every record, as Sabre's frames do.

pub fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let n4 = len / 4;
    for i in 0..n4 {
        let o = i * 4;
        let mut k = u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let o = n4 * 4;
    let rest = len & 3;
    if rest == 3 {
        h ^= (data[o + 2] as u32) << 16;
    }
    if rest >= 2 {
        h ^= (data[o + 1] as u32) << 8;
    }
    if rest >= 1 {
        h ^= data[o] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::murmur2;
    #[test]
    fn matches_kafka() {
        // Kafka's Utils.murmur2 test vectors (signed int32 in Java).
        assert_eq!(murmur2(b"21") as i32, -973932308);
        assert_eq!(murmur2(b"foobar") as i32, -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string") as i32, -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string") as i32, -1486304829);
        assert_eq!(murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") as i32, -58897971);
        assert_eq!(murmur2(b"abc") as i32, 479470107);
    }
}
