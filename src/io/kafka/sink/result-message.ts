import type { WindowResultEncoder } from './window-result-codec.js';

/** One window result on its way to Kafka, with its size for the in-flight bound. */
export interface ResultMessage {
  key: string;
  value: string | Buffer;
  bytes: number;
}

/**
 * A result line → its Kafka message: keyed by the result's key, value = the
 * NDJSON line (`--format json`) or a `sabre.fb.WindowResult` (`encoder` given).
 */
export function resultMessage(line: string, encoder: WindowResultEncoder | undefined): ResultMessage {
  const key = keyOf(line);
  const value = encoder ? Buffer.from(encoder.encode(JSON.parse(line) as Record<string, unknown>)) : line;
  return { key, value, bytes: key.length + value.length };
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
