import { BELL_EPOCH, BELL_SLEEPING, BELL_WORDS } from './layout.js';

/**
 * A wake-up word shared by every ring one thread consumes from or waits on.
 * The sleeper announces itself, re-checks its rings, then waits on the epoch
 * value it read *before* announcing; a waker that sees the announcement bumps
 * the epoch before notifying, so a wake-up between the re-check and the wait
 * makes the wait return at once. Nothing is lost, and a busy sleeper costs
 * wakers one Atomics.load.
 */
export class Doorbell {
  readonly words: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab);
  }

  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(BELL_WORDS * 4));
  }

  /** Step 1 of sleeping: returns the epoch to wait on. Re-check for work after this. */
  announce(): number {
    const epoch = Atomics.load(this.words, BELL_EPOCH);
    Atomics.store(this.words, BELL_SLEEPING, 1);
    return epoch;
  }

  /** The sleeper found work after announcing: withdraw so wakers skip the notify. */
  withdraw(): void {
    Atomics.store(this.words, BELL_SLEEPING, 0);
  }

  /** Blocking wait (workers only). Returns early when rung. */
  sleep(epoch: number, timeoutMs: number): void {
    // Waits only while the epoch is still the one read before announcing: a ring() in between changed it.
    Atomics.wait(this.words, BELL_EPOCH, epoch, timeoutMs);
    Atomics.store(this.words, BELL_SLEEPING, 0);
  }

  /** Non-blocking wait for the main thread. */
  async sleepAsync(epoch: number, timeoutMs: number): Promise<void> {
    // Same rule as sleep(): resolves at once if the epoch moved since announce().
    const r = Atomics.waitAsync(this.words, BELL_EPOCH, epoch, timeoutMs);
    if (r.async) await r.value;
    Atomics.store(this.words, BELL_SLEEPING, 0);
  }

  /** Wake the sleeper if it announced itself; costs one load when nobody sleeps. */
  ring(): void {
    // exchange consumes the announcement, so many wakers cause one notify per sleep.
    if (Atomics.load(this.words, BELL_SLEEPING) !== 0 && Atomics.exchange(this.words, BELL_SLEEPING, 0) !== 0) {
      Atomics.add(this.words, BELL_EPOCH, 1);
      Atomics.notify(this.words, BELL_EPOCH);
    }
  }
}
