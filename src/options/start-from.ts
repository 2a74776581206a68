// --start-from: where a Kafka source starts a partition its group has no
// committed offset for. Parsed here once; src/io/kafka/source/start-from.ts
// turns it into positions.
import { parseIsoTime } from '../codec/json/record-fields.js';
import { bad } from './flags.js';

/**
 * committed (default) and earliest: the partition's beginning; latest: its
 * end when the source starts; timestamp: its first offset whose timestamp is
 * >= `at` (epoch ms). A committed offset always wins.
 */
export type StartFrom =
  | { readonly kind: 'committed' | 'earliest' | 'latest' }
  | { readonly kind: 'timestamp'; readonly at: number };

const WORDS = ['committed', 'earliest', 'latest'] as const;

/** "committed" | "earliest" | "latest" | "timestamp:T", T epoch ms or ISO-8601 (UTC without an offset, as event times). */
export function parseStartFrom(text: string): StartFrom {
  if ((WORDS as readonly string[]).includes(text)) return Object.freeze({ kind: text as (typeof WORDS)[number] });
  if (!text.startsWith('timestamp:')) {
    return bad('startFrom', `expects one of ${WORDS.join(', ')} or timestamp:T, got "${text}"`);
  }
  const t = text.slice('timestamp:'.length).trim();
  const at = /^\d+$/.test(t) ? Number(t) : parseIsoTime(t);
  if (!Number.isSafeInteger(at) || at < 0) {
    return bad('startFrom', `"${t}" is not a time; give epoch ms (timestamp:1700000000000) or ISO-8601 (timestamp:2026-12-07T06:00:00Z)`);
  }
  return Object.freeze({ kind: 'timestamp', at });
}
