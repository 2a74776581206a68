// --replay FROM..TO: the range of a Kafka topic a replay run reads (parsed
// here once; src/io/kafka/source/replay-range.ts turns it into offsets per
// partition when the source starts).
import { parseIsoTime } from '../codec/json/record-fields.js';
import { bad } from './flags.js';

/**
 * One end of a replay range. earliest: the partition's beginning; latest (TO
 * only): its end when the run starts; timestamp: its first offset whose
 * message timestamp is >= `at` (epoch ms); offset: `offset` in every
 * partition, clamped to the partition's range.
 */
export type ReplayBound =
  | { readonly kind: 'earliest' | 'latest' }
  | { readonly kind: 'timestamp'; readonly at: number }
  | { readonly kind: 'offset'; readonly offset: bigint };

/** [from, to): what a replay reads of every partition. */
export interface ReplayRange {
  readonly from: ReplayBound;
  readonly to: ReplayBound;
  /** As given, for messages. */
  readonly text: string;
}

const FORMS = 'earliest, latest (TO only), an ISO-8601 time, timestamp:EPOCHMS or offset:N';

/** "FROM..TO", each end one of FORMS. */
export function parseReplay(text: string): ReplayRange {
  const parts = text.split('..');
  if (parts.length !== 2 || parts[0]!.trim() === '' || parts[1]!.trim() === '') {
    return bad('replay', `expects FROM..TO (e.g. timestamp:1700000000000..latest or 2026-12-07T06:00:00Z..2026-12-07T07:00:00Z), got "${text}"`);
  }
  const from = parseBound(parts[0]!.trim(), 'FROM');
  const to = parseBound(parts[1]!.trim(), 'TO');
  if (from.kind === 'latest') bad('replay', `FROM cannot be latest (nothing would be read); give ${FORMS.replace(', latest (TO only)', '')}`);
  if (to.kind === 'earliest') bad('replay', 'TO cannot be earliest (nothing would be read); give latest, a time or offset:N');
  if (from.kind === 'timestamp' && to.kind === 'timestamp' && to.at < from.at) {
    bad('replay', `TO (${to.at}) is before FROM (${from.at}) in "${text}"`);
  }
  if (from.kind === 'offset' && to.kind === 'offset' && to.offset < from.offset) {
    bad('replay', `TO (offset ${to.offset}) is before FROM (offset ${from.offset}) in "${text}"`);
  }
  return Object.freeze({ from, to, text });
}

function parseBound(t: string, end: 'FROM' | 'TO'): ReplayBound {
  if (t === 'earliest' || t === 'latest') return Object.freeze({ kind: t });
  if (t.startsWith('offset:')) {
    const n = t.slice('offset:'.length);
    if (!/^\d+$/.test(n)) return bad('replay', `${end} "${t}": offset:N takes a non-negative integer`);
    return Object.freeze({ kind: 'offset', offset: BigInt(n) });
  }
  if (t.startsWith('timestamp:')) {
    const n = t.slice('timestamp:'.length);
    const at = /^\d+$/.test(n) ? Number(n) : NaN;
    if (!Number.isSafeInteger(at)) return bad('replay', `${end} "${t}": timestamp:EPOCHMS takes epoch milliseconds, e.g. timestamp:1700000000000`);
    return Object.freeze({ kind: 'timestamp', at });
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(t) ? parseIsoTime(t) : NaN;
  if (!Number.isSafeInteger(at) || at < 0) return bad('replay', `${end} "${t}" is not one of ${FORMS}`);
  return Object.freeze({ kind: 'timestamp', at });
}
