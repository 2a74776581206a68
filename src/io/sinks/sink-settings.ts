/** What a sink needs to know beyond the run's options. */
export interface SinkSettings {
  /** A job's outputs: key messages by these fields of each output (empty: no key) instead of its `key` field. */
  keyFields?: readonly string[];
  /** A transactional Kafka sink: other topics its transactions write too (created like its own if missing). */
  laneTopics?: readonly string[];
}
