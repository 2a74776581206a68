// Words of the ring benchmarks' shared "done" Int32Array (consumer → main thread).
export const DONE_FLAG = 0; // 1 once the consumer wrote its results
export const DONE_FRAMES = 1; // frames seen (low 31 bits)
export const DONE_SUM = 2; // int32 checksum of one field per frame
