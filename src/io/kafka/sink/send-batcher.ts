import type { ResultMessage } from './result-message.js';
import type { SinkLimits } from './sink-limits.js';

/**
 * The result messages a Kafka sink has not handed to the client yet, and the
 * one loop that sends them in order: it lingers `lingerMs` while little is
 * queued (unless told to hurry), then sends up to `maxBatchMessages` /
 * `maxBatchBytes` at a time through `send`, one batch in flight, so per-key
 * order is the order results were written. A sink owns one and keeps its own
 * accounting of what Kafka has not acknowledged.
 */
export class SendBatcher {
  private queue: ResultMessage[] = [];
  /** Bytes queued and not yet taken by the loop. */
  bytes = 0;
  private loop: Promise<void> | undefined;
  /** Ends the linger under way (set while the loop lingers). */
  private endLinger: (() => void) | undefined;

  /**
   * `send` gets each batch and its bytes, and must not reject (a sink records
   * its own failure); `stopped()` true ends the loop; `hurry()` true skips the
   * linger (closing, flushing a checkpoint's results).
   */
  constructor(private readonly limits: SinkLimits, private readonly send: (batch: ResultMessage[], bytes: number) => Promise<void>,
    private readonly stopped: () => boolean, private readonly hurry: () => boolean) {}

  get length(): number {
    return this.queue.length;
  }

  push(m: ResultMessage): void {
    this.queue.push(m);
    this.bytes += m.bytes;
  }

  /** Drop what is queued (a rewind: the transaction it would go into is aborted); a batch in flight goes on. */
  clear(): void {
    this.queue = [];
    this.bytes = 0;
  }

  /** Start the loop if there is something to send and it is not running. */
  kick(): void {
    if (this.loop || this.queue.length === 0 || this.stopped()) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      this.kick();
    });
  }

  /** Send what is queued now: a linger under way ends (a flush must not wait out a long lingerMs). */
  hurryNow(): void {
    this.endLinger?.();
    this.kick();
  }

  /** Settles once nothing is queued or in flight (or the sink stopped). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    const l = this.limits;
    while (this.queue.length > 0 && !this.stopped()) {
      if (!this.hurry() && this.bytes < l.maxBatchBytes && l.lingerMs > 0) await this.linger(l.lingerMs);
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < l.maxBatchMessages && bytes < l.maxBatchBytes) bytes += this.queue[n++]!.bytes;
      const batch = this.queue.splice(0, n);
      this.bytes -= bytes;
      await this.send(batch, bytes);
    }
  }

  private linger(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => this.endLinger!(), ms);
      this.endLinger = () => {
        clearTimeout(t);
        this.endLinger = undefined;
        resolve();
      };
    });
  }
}
