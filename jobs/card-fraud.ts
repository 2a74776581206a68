// Card fraud: features per card over sliding windows, and a sequence rule.
//
//   sabre run --job jobs/card-fraud.ts                       # alerts on stdout
//   sabre run --job jobs/card-fraud.ts --sink kafka:alerts   # alerts to Kafka
//
// Two pipelines over one source, both keyed by card (a job module may export
// a list of them; each sees every transaction):
//  - features: per card, over the last minute every 10 s, how many
//    transactions, how much, how many merchants, the largest amount and the
//    declines; every window goes to card-features.ndjson (in the working directory; --sinks features=TARGET moves it), enriched with
//    the card's profile, and the alert-worthy ones become alerts;
//  - rule: three declines in a row, then an approval, within five minutes.
// Alerts (objects with a `rule` field) go to the default sink.
//
// The thresholds assume the built-in generator's defaults with about 10
// transactions per ms of event time (set below; --events-per-ms overrides it):
// about 10,000 transactions a second over 10,000 cards, a tenth of them busy.
// At that pace alerts are a small fraction of the windows and approvals.
import {
  job, generator, toStdout, toFile, fileTable, sliding, count, sum, max, countDistinct, listState,
} from 'sabre-stream';

interface CardProfile {
  card: string;
  tier: 'standard' | 'gold' | 'platinum';
  homeCountry: string;
  /** What the card may spend in one window (the features' minute). */
  limit: number;
}

const MINUTE = 60_000;
/** The sequence rule's horizon: the declines and the approval fall within it. */
const RULE_SPAN = 5 * MINUTE;
const DECLINES_IN_A_ROW = 3;
/** A window whose declines are at least this share of its transactions (and at least MIN_DECLINES) is an alert. */
const DECLINE_SHARE = 0.25;
const MIN_DECLINES = 4;

const txns = job({
  source: generator('card-txns', { eventsPerMs: 10 }),
  sink: toStdout(),
  sinks: { features: toFile('card-features.ndjson') },
  outOfOrderness: '200ms',
}).filter((t) => t.status !== 'test');

/** Which alert a card's window raises, if any: many of its transactions declined, or more spent than the card's limit. */
function windowRule(w: { n: number; total: number; declines: number; profile: CardProfile | null }): 'decline-rate' | 'over-limit' | null {
  if (w.declines >= MIN_DECLINES && w.declines >= DECLINE_SHARE * w.n) return 'decline-rate';
  if (w.profile !== null && w.total > w.profile.limit) return 'over-limit';
  return null;
}

const profiles = fileTable<CardProfile>('data/card-profiles.ndjson', { key: 'card' });

const features = txns
  .keyBy('card')
  .window(sliding('1m', '10s'))
  .aggregate({
    n: count(),
    total: sum('amount'),
    merchants: countDistinct('merchant'),
    maxAmount: max('amount'),
    declines: sum((t) => (t.status === 'declined' ? 1 : 0)),
  })
  .lookup(profiles, { on: 'card', as: 'profile' })
  .to('features')
  .filter((w) => windowRule(w) !== null)
  .map((w) => ({
    rule: windowRule(w)!,
    card: w.card,
    start: w.start,
    end: w.end,
    n: w.n,
    total: w.total,
    declines: w.declines,
    limit: w.profile?.limit ?? null,
  }));

interface Txn { card: string; merchant: string; amount: number; status: string; at: number }
interface SequenceAlert { rule: 'declines-then-approval'; card: string; declines: number; firstDeclineAt: number; at: number; amount: number; merchant: string }
const ruleState = {
  /** Event times of the card's current run of declines (an approval or a clean-up timer ends it). */
  declines: listState<number>(),
};

/**
 * Whether a decline at `d` still counts for a record or timer at `t`. onRecord
 * and onTimer use this one predicate, so the rule's alerts depend only on each
 * card's records and their event times, not on when the clean-up timer fires:
 * a timer at T fires once the watermark reached T, and a record processed
 * after it (not late, so at T or later) finds only the declines the timer kept.
 */
const withinSpan = (d: number, t: number): boolean => t - d <= RULE_SPAN;

const rule = txns
  .keyBy('card')
  .process<typeof ruleState, SequenceAlert>({
    state: ruleState,
    onRecord(t: Txn, ctx) {
      const run = ctx.state.declines;
      if (t.status === 'declined') {
        run.add(ctx.timestamp);
        // Clean-up: from just after RULE_SPAN on, this decline can no longer start a match.
        ctx.timers.eventTime(ctx.timestamp + RULE_SPAN + 1);
        return;
      }
      const recent = run.get().filter((d) => withinSpan(d, ctx.timestamp));
      if (recent.length >= DECLINES_IN_A_ROW) {
        ctx.emit({
          rule: 'declines-then-approval', card: ctx.key, declines: recent.length,
          firstDeclineAt: Math.min(...recent), at: ctx.timestamp, amount: t.amount, merchant: t.merchant,
        });
      }
      run.clear();
    },
    onTimer(time, _domain, ctx) {
      const run = ctx.state.declines;
      const live = run.get().filter((d) => withinSpan(d, time));
      if (live.length === 0) run.clear();
      else run.set(live);
    },
  });

export default [features, rule];
