import type { LineSink } from './line-sink.js';

/** A sink that keeps results of different checkpoint epochs apart (exactly-once part files). */
export interface EpochSink extends LineSink {
  writeEpoch(epoch: number, chunk: string, lines: number): boolean;
  /**
   * Optional: false while the sink already holds all it may of `epoch` (an
   * epoch after the one it commits next). The drain then leaves the out-ring
   * of a worker that reached that epoch unread, so that worker waits for
   * space, while the rings of workers still before the barrier are read:
   * memory stays bounded and the checkpoint can still complete.
   */
  accepts?(epoch: number): boolean;
}

export function isEpochSink(s: LineSink): s is EpochSink {
  return typeof (s as Partial<EpochSink>).writeEpoch === 'function';
}
