import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { murmur2 } from '../../partition/murmur2.js';
import { IO_INGEST, IO_TIME, IO_VALUE, WRITE_OK } from '../../partition/partitioned-writer.js';
import { SIM_EPOCH_MS, TradeModel, type GeneratorModelOptions } from './trade-model.js';
import { pauseFor, wallNow, type Source, type SourceContext } from '../source.js';

export interface GeneratorOptions extends GeneratorModelOptions {
  /** Records per second; 0 = as fast as possible on the simulated clock. */
  rate: number;
  /** Records to produce; 0 = unbounded. */
  count: number;
  /** Stop after this many ms of wall time; 0 = unbounded. */
  durationMs: number;
}

/** Records per burst between yields to the event loop (≈ 0.5 ms of work at full speed). */
const BURST = 4096;

/**
 * The built-in generator (docs/SEMANTICS.md). Keys are encoded, hashed and
 * partitioned once up front, so a record costs three PRNG draws and one frame
 * write. Throttled runs stamp each record's *intended* send time as its
 * ingest time, so latency under load includes any time the generator fell
 * behind (no coordinated omission); unthrottled runs stamp the burst start.
 */
export class GeneratorSource implements Source {
  readonly name = 'generator';
  records = 0;
  pauses = 0;
  pausedMs = 0;
  private stopped = false;

  constructor(readonly opts: GeneratorOptions) {}

  stop(): void {
    this.stopped = true;
  }

  async run(ctx: SourceContext): Promise<void> {
    const { writer } = ctx;
    const o = this.opts;
    const model = new TradeModel(o);
    const keyCount = o.keys;
    // Key table: bytes in one arena, plus hash and partition per key.
    const keyStrings = Array.from({ length: keyCount }, (_, k) => model.keyString(k));
    const keyLen = new Int32Array(keyCount);
    const keyAt = new Int32Array(keyCount);
    let total = 0;
    for (let k = 0; k < keyCount; k++) { keyAt[k] = total; keyLen[k] = keyStrings[k]!.length; total += keyLen[k]!; }
    const arena = new Uint8Array(total);
    for (let k = 0; k < keyCount; k++) {
      const s = keyStrings[k]!;
      for (let i = 0; i < s.length; i++) arena[keyAt[k]! + i] = s.charCodeAt(i);
    }
    const keyHash = new Int32Array(keyCount);
    const keyPart = new Int32Array(keyCount);
    for (let k = 0; k < keyCount; k++) {
      keyHash[k] = murmur2(arena, keyAt[k]!, keyLen[k]!);
      keyPart[k] = writer.partitioner.partitionOf(keyHash[k]!);
    }

    const start = wallNow();
    const rate = o.rate;
    const msPerRecord = rate > 0 ? 1000 / rate : 0;
    const epm = o.eventsPerMs;
    const io = writer.io;
    let i = 0;
    let retry = false;
    while (!this.stopped && (o.count === 0 || i < o.count)) {
      const now = wallNow();
      if (o.durationMs > 0 && now - start >= o.durationMs) break;
      let target = o.count === 0 ? i + BURST : Math.min(o.count, i + BURST);
      if (rate > 0) {
        const due = Math.floor(((now - start) * rate) / 1000) + 1;
        if (due < target) target = due;
        if (target <= i) {
          // Ahead of schedule: sleep until the next record is due (timers have ~1 ms resolution).
          const wait = start + i * msPerRecord - now;
          if (wait >= 1) await sleep(Math.floor(wait));
          else await yieldToLoop();
          continue;
        }
      }
      for (; i < target; i++) {
        if (!retry) model.draw();
        retry = false;
        const k = model.keyIndex;
        io[IO_TIME] = rate > 0 ? start + Math.floor(i * msPerRecord) - model.jitter : SIM_EPOCH_MS + Math.floor(i / epm) - model.jitter;
        io[IO_VALUE] = model.value;
        io[IO_INGEST] = rate > 0 ? start + i * msPerRecord : now;
        const r = writer.writePrepared(keyPart[k]!, keyHash[k]!, arena, keyAt[k]!, keyLen[k]!);
        if (r !== WRITE_OK) {
          retry = true;
          await pauseFor(this, writer, r);
          break;
        }
      }
      this.records = i;
      writer.publishAll();
      if (!retry) await yieldToLoop();
    }
    this.records = i;
    writer.publishAll();
  }
}
