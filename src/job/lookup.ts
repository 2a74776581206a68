// Lookup enrichment: a reference table keyed by one of its fields, joined
// to each record by one of the record's fields. Every worker loads the
// table (src/operators/pipeline/lookup-table.ts) and reloads it when it
// changes; a Kafka compacted topic is read by the main thread into a file
// the workers load (so a table is read from Kafka once, not once per worker).

export type TableSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly topic: string };

export interface TableSpec<V> {
  readonly source: TableSource;
  /** The field of each table row that keys it (a string or a number). */
  readonly key: string;
  /** Phantom: the row type. */
  readonly __row?: V;
}

/** An NDJSON file of rows (the last row of a key wins). */
export function fileTable<V = Record<string, unknown>>(path: string, opts: { key: string }): TableSpec<V> {
  return { source: { kind: 'file', path }, key: opts.key };
}

/** A Kafka topic (compacted, JSON values) of rows; a message with a null value deletes its key. */
export function kafkaTable<V = Record<string, unknown>>(topic: string, opts: { key: string }): TableSpec<V> {
  return { source: { kind: 'kafka', topic }, key: opts.key };
}
