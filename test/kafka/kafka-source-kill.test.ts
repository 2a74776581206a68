import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/engine-run.js';
import { startSabre } from '../helpers/sabre-process.js';
import { generatedRecords } from '../reference/generated-records.js';
import { NO_IDLE, brokers, describeKafka, drained, groupOffsets, produceTrades, sum, unique, until } from '../helpers/kafka-env.js';

const SPEC = { count: 200_000, keys: 500, seed: 11, disorder: 100, eventsPerMs: 20 };
const WINDOW_MS = 1000;

/** count per "key|windowStart" from result lines: the largest count seen (early firings grow, the last one is complete). */
function countsOf(path: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { key: string; start: number; count: number };
    const k = `${r.key}|${r.start}`;
    m.set(k, Math.max(m.get(k) ?? 0, r.count));
  }
  return m;
}

function job(topic: string, group: string, dir: string, run: number, extra: string[] = []): string[] {
  return ['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--partitions', '8', '--workers', '1',
    '--window', `tumbling:${WINDOW_MS}ms`, '--agg', 'count', '--out-of-orderness', '150ms', '--idle-timeout', NO_IDLE,
    '--sink', `file:${join(dir, `run${run}.ndjson`)}`, '--late-output', `file:${join(dir, `late${run}.ndjson`)}`,
    '--dead-letter', `file:${join(dir, `dead${run}.ndjson`)}`, '--progress', '0', '--http-port', '0', ...extra];
}

describeKafka('Kafka source: SIGKILL mid-run, restart', () => {
  it('the restart resumes from the committed offsets (≤ what was accepted); the two runs together lose no record', async () => {
    const topic = unique('kill');
    const group = unique('kill');
    const dir = tmpDir();
    // The producer keeps writing (paced) while the first consumer runs, so the kill lands mid-stream.
    const producing = produceTrades(topic, SPEC, { perSend: 2000, pauseMs: 20 });
    await until(async () => (await groupOffsets(group, topic).catch(() => undefined)) !== undefined, 'topic created', 30_000, 100);

    // Run 1 fires every open window every 100 ms ("early"), so what it accepted shows in its
    // output soon after; it commits accepted offsets every second.
    const run1 = startSabre(job(topic, group, dir, 1, ['--early-fire', '100ms']));
    // Kill 400 ms after a commit is seen: records up to the committed offsets have been early-fired
    // by then, and the next commit is still ~600 ms away.
    let committedBefore = 0;
    await until(async () => {
      const c = sum((await groupOffsets(group, topic)).committed);
      const moved = c > committedBefore && committedBefore > 0;
      committedBefore = c;
      return moved && c >= 40_000;
    }, 'run 1 to commit 40k offsets', 60_000, 50);
    await new Promise((r) => setTimeout(r, 400));
    run1.child.kill('SIGKILL');
    const exit1 = await run1.exit;
    expect(exit1.signal).toBe('SIGKILL');
    await producing;

    const atKill = await groupOffsets(group, topic);
    const committedAtKill = sum(atKill.committed);
    expect(committedAtKill).toBeGreaterThanOrEqual(40_000);
    expect(committedAtKill).toBeLessThan(SPEC.count); // mid-run
    expect(sum(atKill.ends)).toBe(SPEC.count);

    // Run 2: same group. It reads from the committed offsets to the end; SIGTERM then drains and fires everything.
    const run2 = startSabre(job(topic, group, dir, 2));
    await until(() => drained(group, topic), 'run 2 to commit the end of every partition', 90_000, 200);
    run2.child.kill('SIGTERM');
    const exit2 = await run2.exit;
    expect(exit2.code).toBe(0);
    const m = /done in [\d.]+s: ([\d,]+) records/.exec(exit2.stderr);
    expect(m, exit2.stderr).not.toBeNull();
    const run2Records = Number(m![1]!.replace(/,/g, ''));
    // Run 2 started exactly at the committed offsets: nothing below them again, nothing skipped after.
    expect(run2Records).toBe(SPEC.count - committedAtKill);

    // Every record is in run 1's output or run 2's: per key and window, the count run 1 emitted
    // (a prefix of the window's records in partition order) plus run 2's (the suffix from the
    // committed offset on) covers the true count. The overlap is what run 1 accepted after its
    // last commit: re-read by run 2, at-least-once.
    const truth = new Map<string, number>();
    for (const r of generatedRecords(SPEC)) {
      const k = `${r.key}|${Math.floor(r.ts / WINDOW_MS) * WINDOW_MS}`;
      truth.set(k, (truth.get(k) ?? 0) + 1);
    }
    const c1 = countsOf(join(dir, 'run1.ndjson'));
    const c2 = countsOf(join(dir, 'run2.ndjson'));
    const lost: string[] = [];
    let overlap = 0;
    for (const [k, n] of truth) {
      const got = (c1.get(k) ?? 0) + (c2.get(k) ?? 0);
      if (got < n) lost.push(`${k}: ${got} of ${n}`);
      overlap += got - n;
    }
    expect(lost).toEqual([]);
    expect(c1.size).toBeGreaterThan(0);
    expect(overlap).toBeGreaterThanOrEqual(0);
    process.stderr.write(`[kill test] committed at kill ${committedAtKill}, run 2 read ${run2Records}, records in both outputs ${overlap}\n`);
  });
});
