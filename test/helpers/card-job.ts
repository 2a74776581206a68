// A two-branch job module like the fraud example, and its input, for the tests
// of job modules under kill -9 (test/integration/checkpoint/job-kill9.test.ts,
// test/kafka/kafka-job-exactly-once.test.ts), in a scaled-out group
// (test/kafka/kafka-scale-out.test.ts) and rewound (Engine.rewind():
// test/integration/engine/engine-rewind.test.ts). Job files import the package
// by the absolute URL of dist/src/index.js (build first).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { seeded } from './sabre-process.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;

/**
 * Card transactions in event-time order up to a jitter of 40 ms (less than the job's
 * outOfOrderness, so no record is ever late and every run sees the same windows),
 * 5 per ms of event time, 2000 cards; about 1% declined.
 */
export function cardTxns(n: number): string {
  const rnd = seeded(20261207);
  const lines: string[] = [];
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const card = `c${Math.floor(rnd() * 2000)}`;
    const merchant = `m${Math.floor(rnd() * 300)}`;
    const amount = Math.floor(rnd() * 50_000) / 100;
    const r = rnd();
    const status = r < 0.9 ? 'approved' : r < 0.99 ? 'declined' : 'test';
    lines.push(JSON.stringify({ card, merchant, amount, status, at: t0 + Math.floor(i / 5) - Math.floor(rnd() * 40) }));
  }
  return lines.join('\n') + '\n';
}

export interface CardJobOptions {
  window?: { size: string; slide: string };
  allowedLateness?: string;
}

/**
 * The job at `path`, reading the NDJSON file `input` and writing its window features to the named
 * sink `features`, `features` being the sink's expression in the job (toFile(...) or toKafka(...)).
 * Window outputs go only there (the filter after .to() ends that branch); the process
 * branch's alerts go to the default sink. An alert's fields are fixed when its timer
 * is set (the decline count then), so when the timer fires does not change it.
 * `o`: the sliding window (default 2 s every 1 s) and the allowed lateness (default none).
 */
export function writeCardJob(path: string, input: string, features: string, o: CardJobOptions = {}): void {
  const { size, slide } = o.window ?? { size: '2s', slide: '1s' };
  const lateness = o.allowedLateness ? `\n  allowedLateness: ${JSON.stringify(o.allowedLateness)},` : '';
  writeFileSync(path, `import { job, file, sliding, count, sum, countDistinct, valueState, mapState, toFile, toKafka } from '${SABRE}';
const fields = { card: 'string', merchant: 'string', amount: 'number', status: 'string', at: 'number' };
const root = job({
  source: file(${JSON.stringify(input)}, { fields, time: 'at' }),
  sinks: { features: ${features} },
  outOfOrderness: '200ms',${lateness}
});
const windowBranch = root.keyBy('card').window(sliding(${JSON.stringify(size)}, ${JSON.stringify(slide)}))
  .aggregate({ n: count(), total: sum('amount'), merchants: countDistinct('merchant') })
  .to('features')
  .filter(() => false);
const processBranch = root.keyBy('card').process({
  state: { declines: valueState(0), pending: mapState() },
  onRecord(t, ctx) {
    if (t.status !== 'declined') return;
    const n = ctx.state.declines.get() + 1;
    ctx.state.declines.set(n);
    if (n % 3 === 0) {
      const due = t.at + 500;
      ctx.state.pending.set(String(due), n);
      ctx.timers.eventTime(due);
    }
  },
  onTimer(time, domain, ctx) {
    const n = ctx.state.pending.get(String(time));
    ctx.state.pending.delete(String(time));
    ctx.emit({ card: ctx.key, due: time, declines: n });
  },
});
export default [windowBranch, processBranch];
`);
}

