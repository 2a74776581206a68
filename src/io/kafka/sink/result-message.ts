import { WindowResultEncoder } from './window-result-codec.js';
import { JobRecordEncoder } from './job-record-codec.js';
import { splitTimedLine } from '../../../codec/timed-line.js';

/** One result on its way to Kafka, with its size for the in-flight bound. */
export interface ResultMessage {
  key: string | null;
  value: string | Buffer;
  bytes: number;
  /** The topic, when one sink's transaction writes to several (TransactionalKafkaSink.lane); else the sink's own. */
  topic?: string;
}

/**
 * How a sink keys its messages: undefined for window results (their `key`
 * field), or a job's key fields (jobKeyFields), for a job's outputs.
 */
export type MessageKeyFields = readonly string[] | undefined;

/** How a sink encodes what it writes with `--format flatbuffers`: window results, or a job's outputs (given as timed lines). */
export type ResultEncoder = WindowResultEncoder | JobRecordEncoder;

/** The encoder for `--format flatbuffers` (undefined for json): a job's outputs (keyFields given) as Records, else window results. */
export function resultEncoder(format: 'json' | 'flatbuffers', aggregates: readonly string[], keyFields: MessageKeyFields): ResultEncoder | undefined {
  if (format !== 'flatbuffers') return undefined;
  return keyFields !== undefined ? new JobRecordEncoder() : new WindowResultEncoder(aggregates);
}

/**
 * A result line → its Kafka message: keyed by the result's key (or the job's
 * key fields, `keyFields`), value = the NDJSON line (`--format json`), a
 * `sabre.fb.WindowResult` (a WindowResultEncoder), or a job output's
 * `sabre.fb.Record` (a JobRecordEncoder: the line is a timed line, src/codec/timed-line.ts).
 */
export function resultMessage(line: string, encoder: ResultEncoder | undefined, keyFields?: MessageKeyFields): ResultMessage {
  if (encoder instanceof JobRecordEncoder) {
    const { time, json } = splitTimedLine(line);
    const key = jobMessageKey(json, keyFields ?? []);
    const value = Buffer.from(encoder.encode(key, time, JSON.parse(json) as Record<string, unknown>));
    return { key, value, bytes: (key?.length ?? 0) + value.length };
  }
  const key = keyFields === undefined ? keyOf(line) : jobMessageKey(line, keyFields);
  const value = encoder ? Buffer.from(encoder.encode(JSON.parse(line) as Record<string, unknown>)) : line;
  return { key, value, bytes: (key?.length ?? 0) + value.length };
}

/**
 * A job output's message key: its job-key fields' values — one field as
 * text, several as the JSON array of their values — or null (no key) when
 * the job is unkeyed or the output lacks one of them (not every output of a
 * keyed job carries the key: a map() may drop it).
 */
export function jobMessageKey(line: string, keyFields: readonly string[]): string | null {
  if (keyFields.length === 0) return null;
  const o = JSON.parse(line) as unknown;
  if (typeof o !== 'object' || o === null) return null;
  const rec = o as Record<string, unknown>;
  const values: unknown[] = [];
  for (const f of keyFields) {
    const v = rec[f];
    if (v === undefined || v === null) return null;
    values.push(v);
  }
  if (values.length > 1) return JSON.stringify(values);
  const v = values[0];
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Calls `each` with every non-empty line of a chunk of NDJSON lines. */
export function forEachLine(chunk: string, each: (line: string) => void): void {
  let from = 0;
  while (from < chunk.length) {
    let nl = chunk.indexOf('\n', from);
    if (nl < 0) nl = chunk.length;
    if (nl > from) each(chunk.slice(from, nl));
    from = nl + 1;
  }
}

/**
 * The key of a result line. Lines start with `{"key":"…"` (the drain writes the
 * key with JSON.stringify), so the key is sliced out without parsing the line,
 * unless it holds escapes.
 */
export function keyOf(line: string): string {
  if (line.startsWith('{"key":"')) {
    let escaped = false;
    let i = 8;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 0x5c) {
        escaped = true;
        i++;
      } else if (c === 0x22) break;
    }
    return escaped ? (JSON.parse(line.slice(7, i + 1)) as string) : line.slice(8, i);
  }
  return String((JSON.parse(line) as { key?: unknown }).key);
}
