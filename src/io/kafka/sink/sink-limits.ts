// Batching and backpressure limits shared by both Kafka sinks and their SendBatcher.

export const SINK_DEFAULTS = {
  /** write() returns false above this many unacknowledged bytes; drained() resolves below half of it. */
  maxInFlightBytes: 8 << 20,
  /** A small batch waits this long for company before it is sent. */
  lingerMs: 5,
  maxBatchBytes: 1 << 20,
  // kafkajs groups a send per partition by copying arrays (quadratic): keep sends small.
  maxBatchMessages: 2000,
  /** Backoff between retries of a failed send (doubling up to the max). */
  retryBackoffMs: 100,
  maxRetryBackoffMs: 2000,
} as const;

export type SinkLimits = { readonly [K in keyof typeof SINK_DEFAULTS]: number };
