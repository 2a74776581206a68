//! A bounded single-producer / single-consumer ring of fixed-size records on
//! two atomics, with batched publication: the producer makes its writes
//! visible (one store of `tail`) every `PUBLISH_EVERY` records or when the
//! ring is full, the consumer frees slots (one store of `head`) after each
//! chunk it has processed. Each side caches the other's index and only
//! re-reads it (Acquire) when it seems to have run out of room / data. The
//! index stores are SeqCst (a locked instruction every 256 / 1024 records)
//! so that they order with the parking flags below.
//!
//! A side that has to wait spins briefly, then yields, then parks its thread
//! (the other side unparks it after its next publication). Parking matters
//! when the machine is busier than the two threads: a spinning or merely
//! yielding waiter would take the CPU the other side needs.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Duration;

/// Producer publishes its tail at least this often (records).
pub const PUBLISH_EVERY: usize = 256;
/// Consumer processes at most this many records before freeing them.
pub const CONSUME_CHUNK: usize = 1024;

#[repr(align(128))]
struct Padded<T>(T);

struct Shared<T> {
    /// Next slot to read; written by the consumer only.
    head: Padded<AtomicUsize>,
    /// Next slot to write; written by the producer only.
    tail: Padded<AtomicUsize>,
    closed: Padded<AtomicBool>,
    /// A side sets its flag before parking, and the other side unparks it
    /// when it sees the flag after publishing (both SeqCst: store then load
    /// on each side, so one of them always sees the other).
    consumer_parked: Padded<AtomicBool>,
    producer_parked: Padded<AtomicBool>,
    consumer_thread: OnceLock<Thread>,
    producer_thread: OnceLock<Thread>,
    mask: usize,
    buf: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// The protocol gives each slot exactly one accessor at a time.
unsafe impl<T: Send> Sync for Shared<T> {}
unsafe impl<T: Send> Send for Shared<T> {}

pub struct Producer<T> {
    s: Arc<Shared<T>>,
    tail: usize,
    published: usize,
    cached_head: usize,
}

pub struct Consumer<T> {
    s: Arc<Shared<T>>,
    head: usize,
    cached_tail: usize,
}

/// A ring of `capacity` (rounded up to a power of two) records.
pub fn ring<T: Copy + Send>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.next_power_of_two().max(2 * PUBLISH_EVERY);
    let buf: Box<[UnsafeCell<MaybeUninit<T>>]> = (0..cap).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect();
    let s = Arc::new(Shared {
        head: Padded(AtomicUsize::new(0)),
        tail: Padded(AtomicUsize::new(0)),
        closed: Padded(AtomicBool::new(false)),
        consumer_parked: Padded(AtomicBool::new(false)),
        producer_parked: Padded(AtomicBool::new(false)),
        consumer_thread: OnceLock::new(),
        producer_thread: OnceLock::new(),
        mask: cap - 1,
        buf,
    });
    (Producer { s: s.clone(), tail: 0, published: 0, cached_head: 0 }, Consumer { s, head: 0, cached_tail: 0 })
}

const SPINS: u32 = 64;
const YIELDS: u32 = 16;

/// Waits a little; returns true when the caller should park instead.
#[inline(always)]
fn backoff(spins: &mut u32) -> bool {
    *spins += 1;
    if *spins < SPINS {
        std::hint::spin_loop();
        false
    } else if *spins < SPINS + YIELDS {
        std::thread::yield_now();
        false
    } else {
        true
    }
}

/// Parks the current thread until `ready()` holds (or a spurious wake-up),
/// announcing it through `flag` so that the other side unparks it.
#[cold]
fn park_until(flag: &AtomicBool, me: &OnceLock<Thread>, ready: impl Fn() -> bool) {
    me.get_or_init(std::thread::current);
    flag.store(true, Ordering::SeqCst);
    if !ready() {
        // The timeout is only a safety net; the protocol does not need it.
        std::thread::park_timeout(Duration::from_millis(10));
    }
    flag.store(false, Ordering::Relaxed);
}

#[inline(always)]
fn wake(flag: &AtomicBool, thread: &OnceLock<Thread>) {
    if flag.load(Ordering::SeqCst) {
        if let Some(t) = thread.get() {
            t.unpark();
        }
    }
}

impl<T: Copy + Send> Producer<T> {
    #[inline(always)]
    pub fn push(&mut self, v: T) {
        let cap = self.s.mask + 1;
        if self.tail - self.cached_head == cap {
            self.wait_for_room(cap);
        }
        unsafe { (*self.s.buf.get_unchecked(self.tail & self.s.mask).get()).write(v) };
        self.tail += 1;
        if self.tail - self.published >= PUBLISH_EVERY {
            self.publish();
        }
    }

    #[cold]
    #[inline(never)]
    fn wait_for_room(&mut self, cap: usize) {
        // Full: let the consumer see everything written so far, then wait for it.
        self.publish();
        let mut spins = 0;
        loop {
            self.cached_head = self.s.head.0.load(Ordering::Acquire);
            if self.tail - self.cached_head < cap {
                return;
            }
            if backoff(&mut spins) {
                let (s, tail) = (&self.s, self.tail);
                park_until(&s.producer_parked.0, &s.producer_thread, || tail - s.head.0.load(Ordering::SeqCst) < cap);
            }
        }
    }

    #[inline(always)]
    pub fn publish(&mut self) {
        self.s.tail.0.store(self.tail, Ordering::SeqCst);
        self.published = self.tail;
        wake(&self.s.consumer_parked.0, &self.s.consumer_thread);
    }

    /// Publish the rest and mark the end of input.
    pub fn close(mut self) {
        self.publish();
        self.s.closed.0.store(true, Ordering::SeqCst);
        wake(&self.s.consumer_parked.0, &self.s.consumer_thread);
    }
}

impl<T: Copy + Send> Consumer<T> {
    /// Calls `f` on records in order until the producer has closed the ring
    /// and every record has been consumed.
    #[inline(always)]
    #[allow(dead_code)]
    pub fn drain<F: FnMut(&T)>(&mut self, mut f: F) {
        self.drain_slices(|s| s.iter().for_each(&mut f));
    }

    /// Like `drain`, handing over the records as contiguous slices (at most
    /// `CONSUME_CHUNK` records; slots are freed after each slice).
    #[inline(always)]
    pub fn drain_slices<F: FnMut(&[T])>(&mut self, mut f: F) {
        let mut spins = 0u32;
        loop {
            if self.head == self.cached_tail {
                self.cached_tail = self.s.tail.0.load(Ordering::Acquire);
                if self.head == self.cached_tail {
                    if self.s.closed.0.load(Ordering::Acquire) {
                        // `closed` is stored after the last publish: re-read the tail once more.
                        self.cached_tail = self.s.tail.0.load(Ordering::Acquire);
                        if self.head == self.cached_tail {
                            return;
                        }
                    } else {
                        if backoff(&mut spins) {
                            let (s, head) = (&self.s, self.head);
                            park_until(&s.consumer_parked.0, &s.consumer_thread, || {
                                s.tail.0.load(Ordering::SeqCst) != head || s.closed.0.load(Ordering::SeqCst)
                            });
                        }
                        continue;
                    }
                }
            }
            spins = 0;
            let mask = self.s.mask;
            // Up to the published tail, the chunk limit and the end of the buffer (no wrap inside a slice).
            let n = (self.cached_tail - self.head).min(CONSUME_CHUNK).min(mask + 1 - (self.head & mask));
            let slice: &[T] =
                unsafe { std::slice::from_raw_parts(self.s.buf.as_ptr().add(self.head & mask) as *const T, n) };
            f(slice);
            let h = self.head + n;
            self.head = h;
            self.s.head.0.store(h, Ordering::SeqCst);
            wake(&self.s.producer_parked.0, &self.s.producer_thread);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn delivers_everything_in_order() {
        let (mut p, mut c) = super::ring::<u64>(1024);
        let t = std::thread::spawn(move || {
            let mut expect = 0u64;
            c.drain(|v| {
                assert_eq!(*v, expect);
                expect += 1;
            });
            expect
        });
        for i in 0..3_000_000u64 {
            p.push(i);
        }
        p.close();
        assert_eq!(t.join().unwrap(), 3_000_000);
    }
}
