import { wallNow } from '../src/time/wall-clock.js';
import { KIND_BARRIER } from '../src/codec/frame.js';
import { SabreError } from '../src/errors.js';

/**
 * Barrier alignment over a worker's input rings: a ring that delivered
 * BARRIER(id) is not read again until every ring still open has, so the
 * snapshot cuts all of them at the same point of the input (the state then
 * holds exactly the records before the barrier on every ring). Per-ring
 * flags in a typed array; nothing allocates.
 *
 * REWIND(n) aligns the same way (the state is replaced at the same point of
 * every ring). The main thread writes control frames into all rings one
 * after the other (PartitionedWriter.writeControlAll), so every ring holds
 * them in the same order and the rings blocked at any moment are blocked on
 * the same frame: one aligner serves both, `kind` says which is aligning.
 */
export class BarrierAligner {
  /** Per ring: 1 once it delivered the current barrier (the loop skips it). */
  readonly blocked: Uint8Array;
  /** Rings that delivered the current barrier. */
  seen = 0;
  /** The current barrier's checkpoint id (the rewind's number for a REWIND). */
  id = 0;
  /** KIND_BARRIER or KIND_REWIND: the frame the blocked rings delivered. */
  kind = KIND_BARRIER;
  /** Wall clock when the first ring delivered the current barrier (for the alignment time); in an array so it stays unboxed. */
  private readonly firstAt = new Float64Array(1);

  constructor(rings: number) {
    this.blocked = new Uint8Array(rings);
  }

  /** Ring i delivered BARRIER(id) (or `kind` REWIND(id)). */
  arrive(i: number, id: number, kind = KIND_BARRIER): void {
    if (this.seen === 0) {
      this.firstAt[0] = wallNow();
      this.kind = kind;
    } else if (kind !== this.kind || id !== this.id) {
      // Control frames reach every ring in one order (see above): anything else would deadlock here.
      throw new SabreError('ERR_INTERNAL', `ring ${i} delivered control frame ${kind}(${id}) while the others wait at ${this.kind}(${this.id})`);
    }
    this.id = id;
    this.blocked[i] = 1;
    this.seen++;
  }

  /** Every ring that has not ended delivered the barrier. */
  aligned(open: number): boolean {
    return this.seen > 0 && this.seen === open;
  }

  /** Milliseconds from the first ring's barrier to `now`. */
  waitedMs(now: number): number {
    return now - this.firstAt[0]!;
  }

  /** The snapshot is taken: read every ring again. */
  release(): void {
    this.blocked.fill(0);
    this.seen = 0;
  }
}
