import { wallNow } from '../../../time/wall-clock.js';
import { InputWatermarks } from '../../../time/input-watermarks.js';

/**
 * A Kafka source's event time (DESIGN.md §4). Every Kafka partition feeds
 * every Sabre partition (keys are re-hashed), so records' own timestamps
 * cannot move watermarks: a partition ahead in event time would make the
 * others' records late. Each Kafka partition's progress (its largest event
 * time − bound) is kept in InputWatermarks, folded in once per batch; the
 * source's watermark is the minimum over the partitions assigned and not
 * idle. Idle time is counted on a clock that stops while the source waits
 * for ring space: a partition starved by backpressure is not idle.
 */
export class PartitionProgress {
  /** Event-time progress per Kafka partition (on idleClock()). */
  readonly partitions: InputWatermarks;
  /** [0]: largest event time accepted in the current batch; [1]: ms spent waiting for ring space; [2]: when the current wait began (0: none). A typed array so no double is boxed per record. */
  readonly times = new Float64Array(3);

  constructor(outOfOrderness: number, idleTimeout: number) {
    this.partitions = new InputWatermarks(outOfOrderness, idleTimeout);
  }

  /** Wall clock minus the time spent waiting for ring space: idleness is measured on it. */
  idleClock(): number {
    const now = wallNow();
    const t = this.times;
    return now - t[1]! - (t[2]! > 0 ? now - t[2]! : 0);
  }

  /** The minimum over assigned, non-idle partitions of their largest event time − bound (-Infinity while one has no record yet). */
  watermark(): number {
    return this.partitions.current(this.idleClock());
  }

  /** One partition's own watermark (InputWatermarks.of). */
  of(partition: number): number {
    return this.partitions.of(partition);
  }

  /** Partitions assigned now hold the watermark back until they are read (or idle); revoked ones stop counting. */
  assign(partitions: number[]): void {
    this.partitions.assign(partitions, this.idleClock());
  }

  /** Fold the current batch's largest event time (times[0], records already published) into `partition`'s progress. */
  fold(partition: number, caughtUp: boolean): void {
    const times = this.times;
    this.partitions.onEvent(partition, times[0]!, this.idleClock(), caughtUp);
    times[0] = -Infinity;
  }

  /** A wait for ring space begins: the idle clock stops until waitEnds(). */
  waitBegins(): void {
    this.times[2] = wallNow();
  }

  waitEnds(): void {
    this.times[1]! += wallNow() - this.times[2]!;
    this.times[2] = 0;
  }
}
