// Where a job's pipeline writes what it produces: OUTPUT frames on the
// worker's out-ring (workers/out-writer.ts implements it; frame layout in
// src/codec/frame.ts KIND_OUTPUT and src/codec/out-frames.ts OUT_*).

export interface OutputWriter {
  /**
   * One object as JSON text. `target`: an index into the plan's sinkNames, or
   * OUT_LATE / OUT_DEAD_LETTER; `time`: the event time it belongs to;
   * `ingest`: the newest ingest time behind it (latency).
   */
  output(target: number, time: number, ingest: number, json: string): void;
}
