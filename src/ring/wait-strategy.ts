import type { Doorbell } from './doorbell.js';

/**
 * How a consumer (or a producer waiting for space) waits for something it
 * polls for. `ready` re-checks the condition (frames published, space
 * released); the strategy decides how long to poll and how to sleep. Every
 * sleep follows the doorbell protocol: announce, re-check, then sleep on the
 * epoch read before announcing, so a wake-up between the re-check and the
 * sleep is never lost (src/ring/doorbell.ts).
 */
export interface WaitStrategy {
  /**
   * Return once `ready()` may be true or the timeout passed (the caller
   * re-checks either way). `timeoutMs` is asked only when it sleeps, so a
   * caller that computes it from the clock reads the clock only then.
   */
  waitFor(ready: () => boolean, timeoutMs: () => number): void;
}

/** A thread that may block (workers): poll `spins` times, then Atomics.wait on the doorbell. spins = 0 sleeps at once. */
export class SpinThenSleep implements WaitStrategy {
  /** Sleeps taken (each one a futex wait): what a longer spin would have saved. */
  sleeps = 0;

  constructor(private readonly bell: Doorbell, readonly spins: number) {}

  waitFor(ready: () => boolean, timeoutMs: () => number): void {
    for (let i = 0; i < this.spins; i++) if (ready()) return;
    const epoch = this.bell.announce();
    // Re-check after announcing: what happened before announce() did not ring us.
    if (ready()) {
      this.bell.withdraw();
      return;
    }
    this.sleeps++;
    this.bell.sleep(epoch, Math.max(0, timeoutMs()));
  }
}

/** The main thread, which must never block: the same protocol, sleeping with Atomics.waitAsync. */
export class AsyncSleep {
  constructor(private readonly bell: Doorbell) {}

  async waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
    const epoch = this.bell.announce();
    // Re-check after announcing: what happened before announce() did not ring us.
    if (ready()) {
      this.bell.withdraw();
      return;
    }
    await this.bell.sleepAsync(epoch, timeoutMs);
  }
}
