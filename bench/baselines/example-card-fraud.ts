// bench:pipeline's `card-fraud` baseline: the whole of jobs/card-fraud.ts
// written plainly in Node on one thread, with the job's thresholds (repeated
// here: the job imports 'sabre-stream', which the bench build does not
// resolve; the bench-smoke test checks both compute the same objects).
//  - features: per card, one-minute windows sliding every 10 s (count, Σ
//    amount, distinct merchants, max amount, declines), enriched from the
//    profile table loaded into a Map, every window to the `features` output;
//    the alert-worthy ones (decline rate, over the card's limit) are alerts;
//  - rule: three declines in a row, then an approval, within five minutes.
// One global watermark (max event time − the job's bound) stands in for the
// engine's per-partition ones: with no late record both see the same input
// per card in the same order, so they compute the same outputs.
import { readFileSync } from 'node:fs';
import type { CardTxn } from '../../src/io/generator/job-records.js';
import { KeyedWindows } from './keyed-windows.js';

interface CardProfile { card: string; tier: string; homeCountry: string; limit: number }

const MINUTE = 60_000;
const RULE_SPAN = 5 * MINUTE;
const DECLINES_IN_A_ROW = 3;
const DECLINE_SHARE = 0.25;
const MIN_DECLINES = 4;

/** The job's output names: alerts go to the default output (''), every window to `features`. */
export type Emit = (output: '' | 'features', record: object) => void;

interface FeatureAcc { n: number; total: number; merchants: Set<string>; maxAmount: number; declines: number }

/** The profile table as a Map by card (the last row of a card wins, as the engine's file table). */
export function loadProfiles(path: string): Map<string, CardProfile> {
  const byCard = new Map<string, CardProfile>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as CardProfile;
    byCard.set(String(row.card), row);
  }
  return byCard;
}

function windowRule(w: { n: number; total: number; declines: number }, profile: CardProfile | null): 'decline-rate' | 'over-limit' | null {
  if (w.declines >= MIN_DECLINES && w.declines >= DECLINE_SHARE * w.n) return 'decline-rate';
  if (profile !== null && w.total > profile.limit) return 'over-limit';
  return null;
}

export class CardFraudBaseline {
  private readonly windows: KeyedWindows<FeatureAcc>;
  /** Per card: event times of its current run of declines. */
  private readonly declines = new Map<string, number[]>();
  private maxTs = -Infinity;

  constructor(private readonly bound: number, profiles: Map<string, CardProfile>, private readonly emit: Emit) {
    this.windows = new KeyedWindows<FeatureAcc>(MINUTE, 10_000, bound,
      () => ({ n: 0, total: 0, merchants: new Set(), maxAmount: -Infinity, declines: 0 }),
      ({ key, start, end, acc }) => {
        const profile = profiles.get(key) ?? null;
        const w = { card: key, start, end, fire: 'watermark', n: acc.n, total: acc.total, merchants: acc.merchants.size, maxAmount: acc.maxAmount, declines: acc.declines, profile };
        emit('features', w);
        const rule = windowRule(w, profile);
        if (rule !== null) {
          emit('', { rule, card: key, start, end, n: w.n, total: w.total, declines: w.declines, limit: profile?.limit ?? null });
        }
      });
  }

  add(t: CardTxn): void {
    if (t.status === 'test') return;
    this.windows.add(t.card, t.at, (acc) => {
      acc.n++;
      acc.total += t.amount;
      acc.merchants.add(t.merchant);
      if (t.amount > acc.maxAmount) acc.maxAmount = t.amount;
      if (t.status === 'declined') acc.declines++;
    });
    if (t.at > this.maxTs) this.maxTs = t.at;
    this.rule(t);
  }

  private rule(t: CardTxn): void {
    let run = this.declines.get(t.card);
    if (t.status === 'declined') {
      if (run === undefined) {
        run = [];
        this.declines.set(t.card, run);
      } else {
        // Declines too old for any record still to come (none is older than the watermark) are dropped.
        const wm = this.maxTs - this.bound;
        if (run.length > 0 && wm - run[0]! > RULE_SPAN) run = run.filter((d) => wm - d <= RULE_SPAN);
        this.declines.set(t.card, run);
      }
      run.push(t.at);
      return;
    }
    if (run === undefined || run.length === 0) return;
    const recent = run.filter((d) => t.at - d <= RULE_SPAN);
    if (recent.length >= DECLINES_IN_A_ROW) {
      this.emit('', {
        rule: 'declines-then-approval', card: t.card, declines: recent.length,
        firstDeclineAt: Math.min(...recent), at: t.at, amount: t.amount, merchant: t.merchant,
      });
    }
    this.declines.delete(t.card);
  }

  end(): void {
    this.windows.end();
  }

  get late(): number {
    return this.windows.late;
  }
}
