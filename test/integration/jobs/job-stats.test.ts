// A job run's figures on its HTTP server: /api/stats names the job (module,
// branches, the run line's text), counts what each stage passed on, outputs per sink and the records a
// job function threw on, and its 'output' stage holds the end-to-end latency
// (ingest → sink) of every output; /metrics and `sabre stats` say the same,
// and count a lookup table reload that failed.
// The job reads POST /ingest (the run stays up while the test reads), so the
// counts are exact: computed here from the records sent.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { freePort, sabreStats, startSabreServer } from '../../helpers/sabre-server-process.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
const N = 400;
const UNLUCKY = 13;
// 5 cards, 10 ms apart in event time from t0: 4 s of event time, amounts 0..19.
const T0 = 1_700_000_000_000;
const txns = Array.from({ length: N }, (_, i) => ({ card: `c${i % 5}`, amount: (i * 7) % 20, at: T0 + i * 10 }));

/** A stage's `where`: the test's job file, at that line. */
const atLine = (line: number): RegExp => new RegExp(`stats-job\\.mjs:${line}:\\d+$`);

describe('a job run on /api/stats, /metrics and sabre stats', () => {
  it('names the job and its branches, counts outputs per sink and user-function dead letters, and records output latency', async () => {
    const dir = tmpDir();
    const features = join(dir, 'features.ndjson');
    const alerts = join(dir, 'alerts.ndjson');
    const dead = join(dir, 'dead.ndjson');
    const job = join(dir, 'stats-job.mjs');
    const table = join(dir, 'cards.ndjson');
    writeFileSync(table, '{"card":"c1","tier":"gold"}\n');
    writeFileSync(job, `import { job, http, tumbling, count, sum, toFile, fileTable } from '${SABRE}';
const root = job({
  source: http({ fields: { card: 'string', amount: 'number', at: 'number' }, time: 'at' }),
  sinks: { features: toFile('unused-features.ndjson') },
  outOfOrderness: '0ms',
  onUserError: 'dead-letter',
});
const windows = root.keyBy('card').window(tumbling('1s')).aggregate({ n: count(), total: sum('amount') }).to('features').filter(() => false);
const checked = root.lookup(fileTable('cards.ndjson', { key: 'card' }), { on: 'card', as: 'profile' }).map((t) => {
  if (t.amount === ${UNLUCKY}) throw new Error('unlucky amount');
  return { card: t.card, amount: t.amount };
});
export default [windows, checked];
`);
    const port = await freePort();
    const proc = startSabreServer(['run', '--job', job, '--source', 'http', '--sink', `file:${alerts}`, '--sinks', `features=file:${features}`,
      '--dead-letter', `file:${dead}`, '--http-port', String(port), '--partitions', '1', '--workers', '1', '--idle-timeout', '1h', '--progress', '0']);
    try {
      const line = (await proc.waitFor(/\[sabre\] (job .*); partitions=/))[1]!;
      await proc.waitFor(/\[sabre\] dashboard http:/);
      const base = `http://127.0.0.1:${port}`;
      const res = await fetch(`${base}/ingest`, {
        method: 'POST', body: txns.map((t) => JSON.stringify(t)).join('\n') + '\n', headers: { 'Content-Type': 'application/x-ndjson' },
      });
      expect(res.status).toBe(202);

      // What must come out: every record but the unlucky ones to the default sink; the windows the
      // watermark (the newest record's time, outOfOrderness 0) passed to features: 3 of the 4 seconds, per card.
      const thrown = txns.filter((t) => t.amount === UNLUCKY).length;
      expect(thrown).toBeGreaterThan(0);
      const wm = Math.max(...txns.map((t) => t.at));
      const closed = new Set(txns.filter((t) => Math.floor(t.at / 1000) * 1000 + 1000 <= wm).map((t) => `${t.card}@${Math.floor(t.at / 1000)}`)).size;
      expect(closed).toBe(15);

      // What each stage passed on: windows (line 8): the window's closed results, all of them to features, none past the filter;
      // checked (line 9): every record through the lookup, all but the thrown ones out of the map.
      const stageCounts = [closed, closed, 0, N, N - thrown];
      const stats = async (): Promise<StatsSnapshot> => (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
      let s = await stats();
      // The main thread merges output latencies once a second: wait until every output is in the histogram too.
      for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
        s = await stats();
        const outs = s.job?.sinks.reduce((a, x) => a + x.outputs, 0) ?? 0;
        const staged = s.job?.stages.map((x) => x.out).join(',');
        if (outs === N - thrown + closed && s.job!.userFunctionDeadLetters === thrown && s.latency.stages.output.all.count === outs
          && staged === stageCounts.join(',')) break;
        if (Date.now() - t0 > 20_000) throw new Error(`outputs not all counted: ${JSON.stringify(s.job)}, output latency count ${s.latency.stages.output.all.count}`);
      }
      expect(s.job).toEqual({
        module: job,
        pipeline: line,
        branches: ['tumbling:1000ms [n,total]', 'stateless'],
        stages: [
          { branch: 0, stage: 'tumbling:1000ms [n,total]', where: expect.stringMatching(atLine(8)), out: closed },
          { branch: 0, stage: 'to features', where: expect.stringMatching(atLine(8)), out: closed },
          { branch: 0, stage: 'filter', where: expect.stringMatching(atLine(8)), out: 0 },
          { branch: 1, stage: 'lookup cards.ndjson as profile', where: expect.stringMatching(atLine(9)), out: N },
          { branch: 1, stage: 'map', where: expect.stringMatching(atLine(9)), out: N - thrown },
        ],
        sinks: [
          { name: '', target: `file:${alerts}`, outputs: N - thrown },
          { name: 'features', target: `file:${features}`, outputs: closed },
        ],
        userFunctionDeadLetters: thrown,
        lookupReloadErrors: 0,
      });
      expect(line).toBe(`job ${job}: http → tumbling:1000ms [n,total] + stateless → file:${alerts}, features: file:${features}`);
      expect(s.totals.deadLetter).toBe(thrown);

      // End to end: from ingest (this test's POST) to the sink; positive, and under the test's own span.
      const out = s.latency.stages.output;
      expect(out.all.p50).toBeGreaterThan(0);
      expect(out.all.p50).toBeLessThanOrEqual(out.all.p99);
      expect(out.all.p99).toBeLessThanOrEqual(out.all.p999);
      expect(out.all.max).toBeLessThan(60_000_000);
      expect(out.workers[0]!.count).toBe(out.all.count);

      const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      expect(sample(fam, 'sabre_job_outputs_total', { sink: '' })).toBe(N - thrown);
      expect(sample(fam, 'sabre_job_outputs_total', { sink: 'features' })).toBe(closed);
      expect(sample(fam, 'sabre_job_user_function_dead_letters_total')).toBe(thrown);
      expect(sample(fam, 'sabre_job_stage_outputs_total', { branch: '2', stage: '2', op: 'map' })).toBe(N - thrown);
      expect(sample(fam, 'sabre_job_stage_outputs_total', { branch: '1', stage: '3', op: 'filter' })).toBe(0);
      expect(sample(fam, 'sabre_stage_latency_seconds_count', { stage: 'output', worker: 'all' })).toBe(out.all.count);
      expect(sample(fam, 'sabre_stage_latency_seconds', { stage: 'output', worker: 'all', quantile: '0.99' })).toBeCloseTo(out.all.p99 / 1e6, 9);

      const text = await sabreStats(base);
      expect(text).toContain(`Job ${job}\n  ${line}\n`);
      expect(text).toMatch(/\n {2}1\s+tumbling:1000ms \[n,total\]\n {2}2\s+stateless\n/);
      expect(text).toMatch(new RegExp(`\\(default\\)\\s+file:${alerts.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+${N - thrown}\\n`));
      expect(text).toMatch(new RegExp(`features\\s+file:\\S+\\s+${closed}\\n`));
      expect(text).toMatch(new RegExp(`\\n {2}2\\s+map\\s+stats-job\\.mjs:9:\\d+\\s+${N - thrown}\\n`));
      expect(text).toMatch(new RegExp(`\\n {2}1\\s+tumbling:1000ms \\[n,total\\]\\s+stats-job\\.mjs:8:\\d+\\s+${closed}\\n`));
      expect(text).toContain(`user-function dead letters: ${thrown}`);
      expect(text).toMatch(/\n {2}output\s+all\s+\d/);
      expect(text).toContain('lookup table reload errors: 0');

      // The table edited into bad JSON: the worker keeps the table it has and counts the failed reload (it looks once a second).
      writeFileSync(table, '{"card":"c1","tier":"gold"}\nnot json\n');
      for (const t0 = Date.now(); (await stats()).job!.lookupReloadErrors !== 1; await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() - t0 > 20_000) throw new Error(`the failed reload was not counted: ${JSON.stringify((await stats()).job)}`);
      }
      expect(sample(parsePrometheus(await (await fetch(`${base}/metrics`)).text()), 'sabre_job_lookup_reload_errors_total')).toBe(1);
      expect(await sabreStats(base)).toContain('lookup table reload errors: 1');
    } finally {
      const { code, stderr } = await proc.stop();
      expect(code, stderr).toBe(0);
    }
    // After the drain the open windows fired too; the files hold what the counts said and more of features only.
    expect(readFileSync(alerts, 'utf8').split('\n').filter(Boolean)).toHaveLength(N - txns.filter((t) => t.amount === UNLUCKY).length);
    expect(readFileSync(features, 'utf8').split('\n').filter(Boolean)).toHaveLength(20);
    expect(readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { code: string }).code))
      .toEqual(txns.filter((t) => t.amount === UNLUCKY).map(() => 'ERR_USER_FUNCTION'));
  }, 60_000);
});
