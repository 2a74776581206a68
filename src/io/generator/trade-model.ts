import { Xorshift32, uniform } from './xorshift32.js';
import { KEY_PAD, KEY_PREFIX, type GeneratorKind } from '../../options/generator-keys.js';

export type { GeneratorKind } from '../../options/generator-keys.js';

/** The simulated clock starts here (docs/SEMANTICS.md). */
export const SIM_EPOCH_MS = 1_700_000_000_000;

export interface GeneratorModelOptions {
  kind: GeneratorKind;
  seed: number;
  keys: number;
  /** Max jitter subtracted from event time, ms. */
  disorder: number;
  /** Records per ms of simulated event time (unthrottled runs). */
  eventsPerMs: number;
  /** Pad every key with '_' to this many bytes (0 or absent: as drawn, "SYM123"). The record sequence is otherwise the same. */
  keyBytes?: number;
}

/**
 * The deterministic record sequence of docs/SEMANTICS.md, drawn into fields
 * (no object per record) so hot producers can read them without allocating.
 */
export class TradeModel {
  private readonly rng: Xorshift32;
  private readonly jitterRange: number;
  keyIndex = 0;
  /** The drawn value lives in a typed array: a double field store may allocate a heap number. */
  readonly drawnValue = new Float64Array(1);
  jitter = 0;
  /** Attribute draws (qty or merchant id), derived from the same draws so they cost nothing extra. */
  attr = 0;

  constructor(readonly opts: GeneratorModelOptions) {
    this.rng = new Xorshift32(opts.seed);
    this.jitterRange = opts.disorder + 1;
  }

  /** Draw record i's key index, value and jitter, in that order. */
  draw(): void {
    const r1 = this.rng.nextInt32();
    const r2 = this.rng.nextInt32();
    const r3 = this.rng.nextInt32();
    this.keyIndex = uniform(r1, this.opts.keys);
    this.drawnValue[0] = 100 + mod10000(r2) / 100;
    this.jitter = uniform(r3, this.jitterRange);
    this.attr = r2 >>> 20;
  }

  get value(): number {
    return this.drawnValue[0]!;
  }

  /** Event time of record i on the simulated clock. */
  simulatedTime(i: number): number {
    return SIM_EPOCH_MS + Math.floor(i / this.opts.eventsPerMs) - this.jitter;
  }

  /** Key k's string: "SYM" + k (trades) or "CARD" + k, padded with KEY_PAD to keyBytes when given. */
  keyString(k: number): string {
    const s = KEY_PREFIX[this.opts.kind] + k;
    const n = this.opts.keyBytes ?? 0;
    return n > s.length ? s.padEnd(n, KEY_PAD) : s;
  }
}

/**
 * (r >>> 0) % 10000 for the signed int32 r, in int32 arithmetic: the unsigned
 * draw is a double above 2^31, and a double modulo is a C call (≈ 20 ns here).
 * With u = hi·2^16 + lo, u mod 10000 = (hi·(2^16 mod 10000) + lo) mod 10000,
 * and hi·5536 + lo < 2^31.
 */
export function mod10000(r: number): number {
  return ((r >>> 16) * 5536 + (r & 0xffff)) % 10000;
}
