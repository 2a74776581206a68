// What every input path (NDJSON files and stdin, push ingest, Kafka, the
// library's write()) does with a parsed record: check it and stash what the
// ring frame needs, then write that frame. The built-in job keeps key, time
// and value (RecordFields, a flatbuffers Record frame); a job module keeps
// the fields it declared (RowProjector, a row frame). One instance per input
// path: it holds the record between extract() and a write() retried after a
// full ring.
import type { RecordFault } from '../errors.js';
import type { RowProjector } from './row-writer.js';

/** The writer calls an extractor makes (PartitionedWriter's, in src/partition/). */
export interface ExtractorWriter {
  writeRecord(key: string, eventTime: number, value: number, ingest: number): number;
  writeRow(row: RowProjector, ingest: number): number;
}

export interface RecordExtractor {
  /** Why the last extract() refused its record (the dead-letter reason), and in words. */
  readonly fault: RecordFault | undefined;
  readonly detail: string;
  /**
   * true when the JSON byte scanner and the flatbuffers fast readers, which
   * locate only key, time and value in place, may stand in for extract():
   * the built-in job's record shape. A job's fields need the parsed object.
   */
  readonly scannable: boolean;
  /** Check and stash one parsed record; false when it is unusable (see fault, detail). */
  extract(obj: unknown): boolean;
  /** Write the stashed record: a PartitionedWriter WRITE_* result or the full partition. */
  write(writer: ExtractorWriter, ingest: number): number;
}
