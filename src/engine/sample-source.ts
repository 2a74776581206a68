// The first records of a job's source, read before the run starts, for a
// job whose source declares no fields (src/job/infer-fields.ts): the first
// INFER_SAMPLE lines of a file or of stdin (whose bytes the run then reads
// again, first: src/io/sources/stdin.ts), or up to INFER_SAMPLE messages of
// a Kafka topic read from the start of its partitions (committed ones only,
// in a throwaway consumer group that commits nothing). Records pushed over
// HTTP cannot be read ahead of the run: ERR_INVALID_JOB.
import { closeSync, openSync, readSync } from 'node:fs';
import { SabreError } from '../errors.js';
import { INFER_SAMPLE } from '../job/infer-fields.js';
import { createKafka, errorText } from '../io/kafka/kafka-client.js';
import { consumeToEnd, highWatermarksIfExists, ReadToEnd } from '../io/kafka/read-to-end.js';
import { readAhead } from '../io/sources/stdin.js';

/** How long a Kafka sample may take, all told. */
export const SAMPLE_TIMEOUT_MS = 30_000;
/** stdin: how long after its first line the sample waits for more (a slow producer's run starts with what came). */
export const STDIN_SAMPLE_MS = 2_000;
/** Bytes of a file read for its first lines at most (a line longer than this is not sampled). */
const FILE_SAMPLE_BYTES = 4 << 20;

export interface SampleOptions {
  /** --brokers, for a Kafka source. */
  brokers: string;
  /** --format: only JSON values can be sampled. */
  format: string;
}

/** Parsed records from the start of `source` (a --source text: file:PATH, stdin or kafka:TOPIC). */
export async function sampleSource(source: string, o: SampleOptions): Promise<unknown[]> {
  if (source.startsWith('file:')) return sampleFile(source.slice('file:'.length));
  if (source === 'stdin') return sampleStdin();
  if (source.startsWith('kafka:')) {
    if (o.format !== 'json') {
      throw new SabreError('ERR_INVALID_JOB', `--format ${o.format}: fields can be inferred from JSON values only; declare the source's \`fields\``);
    }
    return sampleKafka(source.slice('kafka:'.length), o.brokers);
  }
  throw new SabreError('ERR_INVALID_JOB', `the job's source declares no fields, and a ${source} source cannot be read ahead of the run `
    + 'to infer them (only file, stdin and kafka sources can): declare its `fields`');
}

/** The first INFER_SAMPLE lines that parse as JSON. */
function sampleFile(path: string): unknown[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SabreError('ERR_INVALID_OPTION', `--source file:${path}: cannot open it to infer the job's fields: ${(e as Error).message}`, { cause: e });
  }
  const buf = Buffer.alloc(FILE_SAMPLE_BYTES);
  let n = 0;
  try {
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, n);
  } finally {
    closeSync(fd);
  }
  const text = buf.subarray(0, n).toString('utf8');
  // The last line may be cut by the read: keep only whole ones (all of them at the end of the file).
  const lines = text.split('\n');
  if (n === buf.length) lines.pop();
  return parsed(lines);
}

/** The first INFER_SAMPLE lines of stdin that parse as JSON; the run reads every byte of it again. */
async function sampleStdin(): Promise<unknown[]> {
  const r = await readAhead(INFER_SAMPLE, STDIN_SAMPLE_MS);
  const lines = r.text.split('\n');
  // A line still arriving is not sampled (the run reads it whole).
  if (!r.ended) lines.pop();
  return parsed(lines);
}

function parsed(texts: Iterable<string>): unknown[] {
  const out: unknown[] = [];
  for (const t of texts) {
    if (out.length >= INFER_SAMPLE) break;
    const line = t.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // Not a record: the run dead-letters it; it types nothing.
    }
  }
  return out;
}

/** Up to INFER_SAMPLE committed messages from the start of `topic`, or all there are. */
async function sampleKafka(topic: string, brokers: string): Promise<unknown[]> {
  const kafka = createKafka(brokers);
  let offsets: { partition: number; high: string; low: string }[] | undefined;
  try {
    offsets = await highWatermarksIfExists(kafka, topic);
  } catch (e) {
    throw new SabreError('ERR_SOURCE', `kafka:${topic}: cannot read its offsets at ${brokers} to infer the job's fields: ${errorText(e)}`, { cause: e });
  }
  if (offsets === undefined) {
    throw new SabreError('ERR_INVALID_JOB', `cannot infer the job's fields: topic ${topic} does not exist at ${brokers}; declare the source's \`fields\``);
  }
  const ends = new ReadToEnd(offsets);
  if (ends.pending.size === 0) return [];
  const values: string[] = [];
  // Enough records: every partition counts as read to its end, which settles the read.
  const enough = (): void => { for (const p of [...ends.pending]) ends.batchEnded(p, ends.end(p)); };
  try {
    await consumeToEnd(kafka, topic, ends, {
      groupPrefix: 'sabre-infer-fields',
      timeoutMs: SAMPLE_TIMEOUT_MS,
      timedOut: () => new SabreError('ERR_SOURCE',
        `kafka:${topic}: reading its first records to infer the job's fields took over ${SAMPLE_TIMEOUT_MS / 1000} s; declare the source's \`fields\``),
      eachBatch: (batch) => {
        for (const m of batch.messages) {
          if (values.length >= INFER_SAMPLE) break;
          if (Number(m.offset) < ends.end(batch.partition) && m.value !== null) values.push(m.value.toString('utf8'));
        }
        if (values.length >= INFER_SAMPLE) enough();
      },
    });
  } catch (e) {
    if (e instanceof SabreError) throw e;
    throw new SabreError('ERR_SOURCE', `kafka:${topic}: cannot read its first records to infer the job's fields: ${errorText(e)}`, { cause: e });
  }
  return parsed(values);
}
