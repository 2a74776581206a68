//! The deterministic generator of docs/SEMANTICS.md ("The built-in generator"),
//! unthrottled (simulated clock), trades ("SYM" + k).

/// Start of the simulated clock, epoch ms.
pub const T0: i64 = 1_700_000_000_000;
const GOLDEN: u32 = 0x9E37_79B9;
const TWO_32: f64 = 4_294_967_296.0;

/// xorshift32 over an unsigned 32-bit state.
pub struct Xorshift32 {
    x: u32,
}

impl Xorshift32 {
    pub fn new(seed: u32) -> Self {
        Xorshift32 { x: if seed == 0 { GOLDEN } else { seed } }
    }

    #[inline(always)]
    pub fn next(&mut self) -> u32 {
        let mut x = self.x;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.x = x;
        x
    }
}

/// `floor(r * n / 2^32)` computed in doubles exactly as JavaScript does (so it
/// stays bit-identical even outside the `n < 2^21` range where it is exact).
#[inline(always)]
pub fn uniform(r: u32, n: f64) -> u32 {
    ((r as f64 * n) / TWO_32).floor() as u32
}

/// `uniform` for `n < 2^21`, where `r * n < 2^53` is exact in doubles and the
/// division by 2^32 only shifts the exponent: the floor is the integer
/// `(r * n) >> 32`.
#[inline(always)]
pub fn uniform_small(r: u32, n: u64) -> u32 {
    ((r as u64 * n) >> 32) as u32
}

/// Draws `floor(r * n / 2^32)`, by integers when that is exact.
#[derive(Clone, Copy)]
struct Uniform {
    n: f64,
    small: bool,
}

impl Uniform {
    fn new(n: f64) -> Self {
        Uniform { n, small: n < 2_097_152.0 }
    }

    #[inline(always)]
    fn draw(self, r: u32) -> u32 {
        if self.small {
            uniform_small(r, self.n as u64)
        } else {
            uniform(r, self.n)
        }
    }
}

/// One drawn record: key index, value, event time.
pub struct Drawn {
    pub k: u32,
    pub value: f64,
    pub ts: i64,
}

pub struct TradeGenerator {
    rng: Xorshift32,
    keys: Uniform,
    jitter: Uniform,
    /// Integer events-per-ms (the usual case): floor(i / epm) is counted, not divided.
    epm_int: u64,
    epm: f64,
    /// floor(i / epm_int) and i % epm_int for the next i (integer events-per-ms only).
    ms: i64,
    rem: u64,
}

impl TradeGenerator {
    pub fn new(seed: u32, keys: u32, disorder: u32, events_per_ms: f64) -> Self {
        let epm_int = if events_per_ms.fract() == 0.0 && (1.0..9.0e15).contains(&events_per_ms) {
            events_per_ms as u64
        } else {
            0
        };
        TradeGenerator {
            rng: Xorshift32::new(seed),
            keys: Uniform::new(keys as f64),
            jitter: Uniform::new(disorder as f64 + 1.0),
            epm_int,
            epm: events_per_ms,
            ms: 0,
            rem: 0,
        }
    }

    /// Record `i` (must be called for i = 0, 1, 2, ..., in order): draws r1 (key), r2 (value), r3 (jitter).
    #[inline(always)]
    pub fn draw(&mut self, i: u64) -> Drawn {
        let r1 = self.rng.next();
        let r2 = self.rng.next();
        let r3 = self.rng.next();
        let k = self.keys.draw(r1);
        // 100 + (r2 % 10000) / 100 in IEEE doubles, exactly as the spec writes it.
        let value = 100.0 + ((r2 % 10000) as f64) / 100.0;
        let j = self.jitter.draw(r3) as i64;
        // floor(i / eventsPerMs): for an integer divisor and i < 2^53 the double
        // division floors to the same integer as the integer division, which
        // is counted here (i must go 0, 1, 2, ...).
        let ms = if self.epm_int != 0 {
            let ms = self.ms;
            self.rem += 1;
            if self.rem == self.epm_int {
                self.rem = 0;
                self.ms += 1;
            }
            ms
        } else {
            (i as f64 / self.epm).floor() as i64
        };
        Drawn { k, value, ts: T0 + ms - j }
    }
}

/// The key string of key index k (trades): "SYM" + decimal k.
pub fn key_string(k: u32) -> String {
    format!("SYM{}", k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_uniform_is_the_double_formula() {
        let mut rng = Xorshift32::new(7);
        for n in [1u64, 2, 101, 10_000, 1 << 20, (1 << 21) - 1] {
            for _ in 0..100_000 {
                let r = rng.next();
                assert_eq!(uniform_small(r, n), uniform(r, n as f64));
            }
            for r in [1u32, u32::MAX, u32::MAX - 1, 1 << 31] {
                assert_eq!(uniform_small(r, n), uniform(r, n as f64));
            }
        }
    }

    #[test]
    fn counted_time_is_the_division() {
        for epm in [1.0, 3.0, 1000.0] {
            let mut a = TradeGenerator::new(5, 100, 0, epm);
            for i in 0..10_000u64 {
                assert_eq!(a.draw(i).ts, T0 + (i as f64 / epm).floor() as i64);
            }
        }
    }
}
