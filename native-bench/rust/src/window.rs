//! The window thread's operator: tumbling event-time windows with count, sum,
//! min, max, avg per key, one partition (one global watermark), per
//! docs/SEMANTICS.md ("Watermarks, firing and lateness") with
//! allowedLateness = 0.
//!
//! Per record it does the work a real keyed window operator does:
//! - key lookup: an open-addressing (linear probing) hash table keyed by the
//!   key's bytes, whose entries hold the key inline with its per-key state (as
//!   a `HashMap<[u8; 12], State>` does). The record carries the key bytes and a
//!   hash the generator computed once per key (as Sabre's frames carry
//!   murmur2(key)); the table compares the stored hash and then the key bytes.
//!   It never indexes by the generator's key number (the window thread never
//!   sees it), and it learns keys as they come, growing at load 1/2.
//! - window assignment: start = floor(ts / size) * size (the division is
//!   skipped when ts falls in the previous record's window, which is a range
//!   check);
//! - the aggregate update in the key's list of open windows (a slab, so opening
//!   and freeing windows does not allocate in the steady state);
//! - firing: windows are queued by start; whenever the watermark passes the
//!   earliest end, every window of every start with end <= wm fires and is freed.
//!
//! Records come in runs (ring slices); while handling one, the operator
//! prefetches the table entry and the open window of records a few places
//! ahead, so their cache misses overlap (see `on_batch`).

use std::collections::BTreeMap;

#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Key bytes carried inline in a record ("SYM" + up to 8 digits).
pub const KEY_INLINE: usize = 11;
const NIL: u32 = u32::MAX;

/// The fixed-size record that crosses the ring (32 bytes).
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Rec {
    pub ts: i64,
    pub value: f64,
    /// Hash of the key bytes, computed by the generator once per key.
    pub hash: u32,
    pub len: u8,
    /// Key bytes, zero-padded.
    pub key: [u8; KEY_INLINE],
}

const _: () = assert!(std::mem::size_of::<Rec>() == 32);

/// Where fired windows go.
pub trait Sink {
    #[allow(clippy::too_many_arguments)]
    fn fire(&mut self, key: &[u8], start: i64, end: i64, count: u64, sum: f64, min: f64, max: f64, avg: f64);
}

/// A table entry: the key, inline, and its state (32 bytes, two per cache line).
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Entry {
    hash: u32,
    len: u8,
    bytes: [u8; KEY_INLINE],
    /// First open window of this key (slab index), NIL if none.
    head: u32,
    used: bool,
}

const EMPTY: Entry = Entry { hash: 0, len: 0, bytes: [0; KEY_INLINE], head: NIL, used: false };

struct Win {
    start: i64,
    sum: f64,
    min: f64,
    max: f64,
    count: u64,
    key: u32,
    /// Next open window of the same key, or next free slot.
    next: u32,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 32);

pub struct WindowOp {
    size: i64,
    bound: i64,
    max_ts: i64,
    /// Watermark; i64::MIN stands for −∞ (before the first record).
    wm: i64,
    /// Open-addressing table of keys with their state.
    table: Vec<Entry>,
    mask: usize,
    len: usize,
    wins: Vec<Win>,
    free: u32,
    /// Open windows by start (all keys), to fire in end order.
    queue: BTreeMap<i64, Vec<u32>>,
    pool: Vec<Vec<u32>>,
    /// End of the earliest queued window (i64::MAX if none).
    next_end: i64,
    /// The window of the previous record, [cur_start, cur_start + size): most
    /// records fall in it, which saves the division.
    cur_start: i64,
    pub late: u64,
}

impl WindowOp {
    pub fn new(size: i64, bound: i64) -> Self {
        let cap = 1024;
        WindowOp {
            size,
            bound,
            max_ts: i64::MIN,
            wm: i64::MIN,
            table: vec![EMPTY; cap],
            mask: cap - 1,
            len: 0,
            wins: Vec::new(),
            free: NIL,
            queue: BTreeMap::new(),
            pool: Vec::new(),
            next_end: i64::MAX,
            cur_start: i64::MIN,
            late: 0,
        }
    }

    /// A run of records in order. While handling record i it prefetches the
    /// table entry of record i + 2·AHEAD and the open window of record i + AHEAD
    /// (both found by the same hash + key comparison as the real lookup), so the
    /// cache misses of consecutive records overlap instead of queueing up.
    #[inline(always)]
    pub fn on_batch<S: Sink>(&mut self, recs: &[Rec], sink: &mut S) {
        const AHEAD: usize = 8;
        let n = recs.len();
        for i in 0..n {
            if i + 2 * AHEAD < n {
                self.prefetch_entry(&recs[i + 2 * AHEAD]);
            }
            if i + AHEAD < n {
                self.prefetch_window(&recs[i + AHEAD]);
            }
            self.on_record(&recs[i], sink);
        }
    }

    #[inline(always)]
    fn prefetch_entry(&self, r: &Rec) {
        let i = r.hash as usize & self.mask;
        prefetch(unsafe { self.table.as_ptr().add(i) } as *const u8);
    }

    #[inline(always)]
    fn prefetch_window(&self, r: &Rec) {
        let mut i = r.hash as usize & self.mask;
        loop {
            let e = unsafe { self.table.get_unchecked(i) };
            if !e.used {
                return;
            }
            if e.hash == r.hash && e.len == r.len && e.bytes == r.key {
                if e.head != NIL {
                    prefetch(unsafe { self.wins.as_ptr().add(e.head as usize) } as *const u8);
                }
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    #[inline(always)]
    pub fn on_record<S: Sink>(&mut self, r: &Rec, sink: &mut S) {
        // Step 1: assign; a window with end <= wm is expired (allowedLateness 0): late.
        let start = if r.ts.wrapping_sub(self.cur_start) as u64 >= self.size as u64 {
            self.cur_start = r.ts.div_euclid(self.size) * self.size;
            self.cur_start
        } else {
            self.cur_start
        };
        if start + self.size <= self.wm {
            self.late += 1;
            return;
        }
        let k = self.lookup(r);
        let mut w = self.table[k as usize].head;
        while w != NIL && self.wins[w as usize].start != start {
            w = self.wins[w as usize].next;
        }
        if w == NIL {
            w = self.open(k, start);
        }
        let win = &mut self.wins[w as usize];
        let v = r.value;
        win.count += 1;
        win.sum += v;
        if v < win.min {
            win.min = v;
        }
        if v > win.max {
            win.max = v;
        }
        // Steps 2 and 3.
        if r.ts > self.max_ts {
            self.max_ts = r.ts;
            self.wm = r.ts.saturating_sub(self.bound);
            if self.wm >= self.next_end {
                self.fire_up_to(self.wm, sink);
            }
        }
    }

    /// END: wm = +∞, every open window fires.
    pub fn end<S: Sink>(&mut self, sink: &mut S) {
        self.wm = i64::MAX;
        self.fire_up_to(i64::MAX, sink);
    }

    /// The table index of the record's key (inserted if new).
    #[inline(always)]
    fn lookup(&mut self, r: &Rec) -> u32 {
        let mut i = r.hash as usize & self.mask;
        loop {
            let e = unsafe { self.table.get_unchecked(i) };
            if !e.used {
                return self.insert(i, r);
            }
            if e.hash == r.hash && e.len == r.len && e.bytes == r.key {
                return i as u32;
            }
            i = (i + 1) & self.mask;
        }
    }

    #[cold]
    #[inline(never)]
    fn insert(&mut self, i: usize, r: &Rec) -> u32 {
        self.table[i] = Entry { hash: r.hash, len: r.len, bytes: r.key, head: NIL, used: true };
        self.len += 1;
        if self.len * 2 > self.table.len() {
            self.grow();
            // Find it again at its new place.
            return self.lookup(r);
        }
        i as u32
    }

    /// Doubles the table; windows refer to their key's entry, so they are re-pointed.
    fn grow(&mut self) {
        let cap = self.table.len() * 2;
        let old = std::mem::replace(&mut self.table, vec![EMPTY; cap]);
        self.mask = cap - 1;
        for e in old.iter().filter(|e| e.used) {
            let mut i = e.hash as usize & self.mask;
            while self.table[i].used {
                i = (i + 1) & self.mask;
            }
            self.table[i] = *e;
            let mut w = e.head;
            while w != NIL {
                self.wins[w as usize].key = i as u32;
                w = self.wins[w as usize].next;
            }
        }
    }

    #[inline(never)]
    fn open(&mut self, k: u32, start: i64) -> u32 {
        let next = self.table[k as usize].head;
        let win = Win { start, sum: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY, count: 0, key: k, next };
        let w = if self.free != NIL {
            let w = self.free;
            self.free = self.wins[w as usize].next;
            self.wins[w as usize] = win;
            w
        } else {
            self.wins.push(win);
            (self.wins.len() - 1) as u32
        };
        self.table[k as usize].head = w;
        let pool = &mut self.pool;
        self.queue.entry(start).or_insert_with(|| pool.pop().unwrap_or_default()).push(w);
        let end = start + self.size;
        if end < self.next_end {
            self.next_end = end;
        }
        w
    }

    #[inline(never)]
    fn fire_up_to<S: Sink>(&mut self, wm: i64, sink: &mut S) {
        while let Some(entry) = self.queue.first_entry() {
            let start = *entry.key();
            let end = start + self.size;
            if end > wm {
                break;
            }
            let mut list = entry.remove();
            for &w in &list {
                let win = &self.wins[w as usize];
                let k = win.key;
                let next = win.next;
                let e = &self.table[k as usize];
                sink.fire(
                    &e.bytes[..e.len as usize],
                    start,
                    end,
                    win.count,
                    win.sum,
                    win.min,
                    win.max,
                    win.sum / win.count as f64,
                );
                // Unlink from the key's list, then free the slot.
                if e.head == w {
                    self.table[k as usize].head = next;
                } else {
                    let mut p = e.head;
                    while self.wins[p as usize].next != w {
                        p = self.wins[p as usize].next;
                    }
                    self.wins[p as usize].next = next;
                }
                self.wins[w as usize].next = self.free;
                self.free = w;
            }
            list.clear();
            self.pool.push(list);
        }
        self.next_end = self.queue.first_key_value().map_or(i64::MAX, |(s, _)| s + self.size);
    }
}
