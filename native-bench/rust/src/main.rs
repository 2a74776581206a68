//! sabre-native-rust: the native reference of Sabre's windowed job
//! (docs/SEMANTICS.md). The generator runs on the main thread (as in Sabre)
//! and writes fixed-size records into a single-producer/single-consumer ring;
//! a window thread reads them and runs the tumbling-window operator with one
//! global watermark. See native-bench/README.md.

mod generator;
mod jsnum;
mod murmur2;
mod ring;
mod window;

use std::io::Write;
use std::time::Instant;

use generator::{key_string, TradeGenerator};
use window::{Rec, Sink, WindowOp, KEY_INLINE};

/// Ring capacity in records (32 bytes each): 512 KiB, about half of L2.
const RING_CAPACITY: usize = 16 * 1024;

const USAGE: &str = "usage: sabre-native-rust [--count N] [--keys K] [--seed S] [--disorder D]
  [--events-per-ms E] [--window-ms W] [--out-of-orderness B] [--mode bench|results] [--output PATH]
defaults: --count 10000000 --keys 10000 --seed 42 --disorder 100 --events-per-ms 1000
  --window-ms 1000 --out-of-orderness 200 --mode bench (results mode writes NDJSON to --output, or stdout)";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Bench,
    Results,
}

struct Opts {
    count: u64,
    keys: u32,
    seed: u32,
    disorder: u32,
    events_per_ms: f64,
    window_ms: i64,
    out_of_orderness: i64,
    mode: Mode,
    output: Option<String>,
}

fn fail(msg: &str) -> ! {
    eprintln!("sabre-native-rust: {}\n{}", msg, USAGE);
    std::process::exit(2);
}

/// A number flag; accepts what JavaScript's Number() accepts for plain decimals ("1e7" too).
fn num(name: &str, raw: &str) -> f64 {
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => fail(&format!("--{} must be a number, got {:?}", name, raw)),
    }
}

fn int_in(name: &str, raw: &str, min: f64, max: f64) -> i64 {
    let v = num(name, raw);
    if v.fract() != 0.0 || v < min || v > max {
        fail(&format!("--{} must be an integer in [{}, {}], got {}", name, min, max, raw));
    }
    v as i64
}

fn parse_args() -> Opts {
    let mut o = Opts {
        count: 10_000_000,
        keys: 10_000,
        seed: 42,
        disorder: 100,
        events_per_ms: 1000.0,
        window_ms: 1000,
        out_of_orderness: 200,
        mode: Mode::Bench,
        output: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--help" || a == "-h" {
            println!("{}", USAGE);
            std::process::exit(0);
        }
        let Some(flag) = a.strip_prefix("--") else { fail(&format!("unexpected argument {:?}", a)) };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                i += 1;
                match args.get(i) {
                    Some(v) => (flag.to_string(), v.clone()),
                    None => fail(&format!("--{} needs a value", flag)),
                }
            }
        };
        let v = value.as_str();
        match name.as_str() {
            "count" => o.count = int_in("count", v, 0.0, 9.0e15) as u64,
            // Keys are "SYM" + k carried inline in 11 bytes: up to 10^8 keys.
            "keys" => o.keys = int_in("keys", v, 1.0, 100_000_000.0) as u32,
            // seed >>> 0: the integer modulo 2^32.
            "seed" => o.seed = int_in("seed", v, -9.0e15, 9.0e15) as u32,
            "disorder" => o.disorder = int_in("disorder", v, 0.0, 4_294_967_294.0) as u32,
            "events-per-ms" => {
                o.events_per_ms = num("events-per-ms", v);
                if o.events_per_ms <= 0.0 {
                    fail("--events-per-ms must be > 0");
                }
            }
            "window-ms" => o.window_ms = int_in("window-ms", v, 1.0, 1.0e12),
            "out-of-orderness" => o.out_of_orderness = int_in("out-of-orderness", v, 0.0, 1.0e12),
            "mode" => {
                o.mode = match v {
                    "bench" => Mode::Bench,
                    "results" => Mode::Results,
                    _ => fail(&format!("--mode must be bench or results, got {:?}", v)),
                }
            }
            "output" => o.output = Some(value.clone()),
            _ => fail(&format!("unknown flag --{}", name)),
        }
        i += 1;
    }
    o
}

/// Bench mode: fired windows are counted (and their avg folded into a checksum so nothing is optimised away).
struct CountSink {
    fired: u64,
    check: u64,
}

impl Sink for CountSink {
    #[inline(always)]
    fn fire(&mut self, key: &[u8], start: i64, _end: i64, count: u64, _sum: f64, min: f64, max: f64, avg: f64) {
        self.fired += 1;
        self.check = self
            .check
            .wrapping_add(avg.to_bits() ^ min.to_bits() ^ max.to_bits() ^ count ^ start as u64 ^ key.len() as u64);
    }
}

/// Results mode: NDJSON lines in firing order.
struct TextSink {
    fired: u64,
    out: String,
}

impl Sink for TextSink {
    fn fire(&mut self, key: &[u8], start: i64, end: i64, count: u64, sum: f64, min: f64, max: f64, avg: f64) {
        self.fired += 1;
        let o = &mut self.out;
        o.push_str("{\"key\":\"");
        // Keys are "SYM" + digits: nothing to escape.
        o.push_str(std::str::from_utf8(key).expect("ascii key"));
        o.push_str("\",\"start\":");
        jsnum::push_js_number(o, start as f64);
        o.push_str(",\"end\":");
        jsnum::push_js_number(o, end as f64);
        o.push_str(",\"count\":");
        jsnum::push_js_number(o, count as f64);
        o.push_str(",\"sum\":");
        jsnum::push_js_number(o, sum);
        o.push_str(",\"min\":");
        jsnum::push_js_number(o, min);
        o.push_str(",\"max\":");
        jsnum::push_js_number(o, max);
        o.push_str(",\"avg\":");
        jsnum::push_js_number(o, avg);
        o.push_str(",\"fire\":\"watermark\"}\n");
    }
}

/// The key table the generator builds once: bytes, length and hash per key index.
struct KeyRec {
    bytes: [u8; KEY_INLINE],
    len: u8,
    hash: u32,
}

fn main() {
    let o = parse_args();
    let keys: Vec<KeyRec> = (0..o.keys)
        .map(|k| {
            let s = key_string(k);
            let mut bytes = [0u8; KEY_INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            KeyRec { bytes, len: s.len() as u8, hash: murmur2::murmur2(s.as_bytes()) }
        })
        .collect();

    let (mut producer, mut consumer) = ring::ring::<Rec>(RING_CAPACITY);
    let (size, bound, mode) = (o.window_ms, o.out_of_orderness, o.mode);
    let window_thread = std::thread::Builder::new()
        .name("window".into())
        .spawn(move || {
            let mut op = WindowOp::new(size, bound);
            if mode == Mode::Bench {
                let mut sink = CountSink { fired: 0, check: 0 };
                consumer.drain_slices(|recs| op.on_batch(recs, &mut sink));
                op.end(&mut sink);
                let done = Instant::now();
                std::hint::black_box(sink.check);
                (done, sink.fired, op.late, String::new())
            } else {
                let mut sink = TextSink { fired: 0, out: String::new() };
                consumer.drain_slices(|recs| op.on_batch(recs, &mut sink));
                op.end(&mut sink);
                (Instant::now(), sink.fired, op.late, sink.out)
            }
        })
        .expect("spawn window thread");

    let t0 = Instant::now();
    let mut gen = TradeGenerator::new(o.seed, o.keys, o.disorder, o.events_per_ms);
    for i in 0..o.count {
        let d = gen.draw(i);
        let kr = unsafe { keys.get_unchecked(d.k as usize) };
        producer.push(Rec { ts: d.ts, value: d.value, hash: kr.hash, len: kr.len, key: kr.bytes });
    }
    producer.close();
    let (done, fired, late, text) = window_thread.join().expect("window thread");
    let seconds = done.duration_since(t0).as_secs_f64();

    let mut summary = String::new();
    summary.push_str("{\"impl\":\"rust\",\"records\":");
    jsnum::push_js_number(&mut summary, o.count as f64);
    summary.push_str(",\"seconds\":");
    jsnum::push_js_number(&mut summary, seconds);
    summary.push_str(",\"recordsPerSec\":");
    jsnum::push_js_number(&mut summary, if seconds > 0.0 { (o.count as f64 / seconds).round() } else { 0.0 });
    summary.push_str(",\"windowsFired\":");
    jsnum::push_js_number(&mut summary, fired as f64);
    summary.push_str(",\"lateRecords\":");
    jsnum::push_js_number(&mut summary, late as f64);
    summary.push('}');

    if o.mode == Mode::Results {
        match o.output.as_deref() {
            None | Some("-") => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).expect("write stdout");
                eprintln!("{}", summary);
                return;
            }
            Some(path) => {
                if let Err(e) = std::fs::write(path, text.as_bytes()) {
                    eprintln!("sabre-native-rust: cannot write {}: {}", path, e);
                    std::process::exit(1);
                }
            }
        }
    }
    println!("{}", summary);
}
