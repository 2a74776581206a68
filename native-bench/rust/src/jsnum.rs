//! Numbers printed exactly as JavaScript's JSON.stringify prints them
//! (Number::toString, ECMA-262 §6.1.6.1.20): the shortest digits that round-trip,
//! plain notation for 1e-7 < |x| < 1e21, exponent notation ("1e+21", "1.5e-7")
//! outside it, -0 as "0", and NaN/±Infinity as null (JSON.stringify's rule).
//!
//! Rust's `{:e}` prints the shortest round-trip digits (closest to x), the
//! same digit string V8 picks, so only the layout has to be redone here.

use std::fmt::Write;

pub fn push_js_number(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x == 0.0 {
        out.push('0');
        return;
    }
    // Integers below 2^53 (counts, window bounds): the decimal integer is the shortest form.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        let _ = write!(out, "{}", x as i64);
        return;
    }
    let mut buf = String::with_capacity(32);
    let _ = write!(buf, "{:e}", x);
    let (neg, rest) = match buf.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, buf.as_str()),
    };
    let (mant, exp) = rest.split_once('e').expect("{:e} has an exponent");
    let e: i32 = exp.parse().expect("exponent");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if neg {
        out.push('-');
    }
    layout(out, &digits, e + 1);
}

/// Number::toString's layout of digits `s` (k of them, no trailing zeros) with
/// value 0.s × 10^n.
fn layout(out: &mut String, s: &str, n: i32) {
    let k = s.len() as i32;
    if k <= n && n <= 21 {
        out.push_str(s);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        out.push_str(&s[..n as usize]);
        out.push('.');
        out.push_str(&s[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(s);
    } else {
        out.push_str(&s[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&s[1..]);
        }
        out.push('e');
        let e = n - 1;
        out.push(if e < 0 { '-' } else { '+' });
        let _ = write!(out, "{}", e.abs());
    }
}

#[cfg(test)]
mod tests {
    use super::push_js_number;

    fn js(x: f64) -> String {
        let mut s = String::new();
        push_js_number(&mut s, x);
        s
    }

    #[test]
    fn typical_values() {
        assert_eq!(js(100.0), "100");
        assert_eq!(js(12345.67), "12345.67");
        assert_eq!(js(1700000000000.0), "1700000000000");
        assert_eq!(js(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(js(-0.0), "0");
        assert_eq!(js(1e21), "1e+21");
        assert_eq!(js(1e20), "100000000000000000000");
        assert_eq!(js(1.5e-7), "1.5e-7");
        assert_eq!(js(1e-6), "0.000001");
        assert_eq!(js(123e-20), "1.23e-18");
        assert_eq!(js(f64::NAN), "null");
        assert_eq!(js(5e-324), "5e-324");
        assert_eq!(js(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(js(2f64.powi(60)), "1152921504606847000");
    }

    /// Vectors printed by Node (native-bench/testdata/js-numbers.txt: hex bits, JS string).
    #[test]
    fn node_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/js-numbers.txt");
        let text = std::fs::read_to_string(path).expect("run native-bench/testdata/gen-js-numbers.mjs");
        let mut n = 0;
        for line in text.lines() {
            let (hex, want) = line.split_once(' ').unwrap();
            let x = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
            assert_eq!(js(x), want, "bits {}", hex);
            n += 1;
        }
        assert!(n > 1000);
    }
}
