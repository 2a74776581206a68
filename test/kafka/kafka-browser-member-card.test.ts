// The dashboard of a scaled-out member (--changelog), in Chromium, against a real `sabre run` of one member:
// the Group member card shows its partitions, generation, the group's members, restores, changelog bytes and
// commits/aborts — the figures /api/stats gives for the same push. Lives under test/kafka/ (it needs the broker);
// the dashboard's live updates need /ws/stats, which the Kafka files get: they run on the system Node only,
// with the native uWebSockets.js (.ci/run), never on the Node 24 fallback run.
import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createKafka } from '../../dist/src/io/kafka/kafka-client.js';
import type { StatsSnapshot } from '../../dist/src/metrics/stats-snapshot.js';
import { launchChromium } from '../helpers/chromium.js';
import { tmpDir } from '../helpers/engine-run.js';
import { freePort } from '../helpers/free-port.js';
import { startSabre, type Running } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, createTopic, describeKafka, produceTrades, unique } from '../helpers/kafka-env.js';

const PARTITIONS = 4;
let browser: Browser | undefined;
let run: Running | undefined;

afterAll(async () => {
  await browser?.close();
  run?.child.kill('SIGKILL');
});

describeKafka('dashboard of a scaled-out member, in Chromium', () => {
  it('shows the Group member card with the figures /api/stats gives for the push it rendered', async () => {
    const topic = unique('mc-in');
    const group = unique('mc');
    await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, PARTITIONS);
    let stop = false;
    const producing = (async () => {
      const spec = { count: 0, keys: 200, seed: 9, disorder: 50, eventsPerMs: 4 };
      for (let i = 0; !stop; i += 2000) await produceTrades(topic, spec, { from: i, to: i + 2000, perSend: 500, pauseMs: 50 });
    })();
    const port = await freePort();
    const proc = startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--partitions', String(PARTITIONS),
      '--workers', '1', '--window', 'tumbling:500ms', '--agg', 'count', '--out-of-orderness', '300ms', '--idle-timeout', NO_IDLE,
      '--late-output', 'null', '--dead-letter', 'null', '--checkpoint-interval', '400ms', '--progress', '0', '--http-port', String(port),
      '--sink', `kafka:${unique('mc-out')}`, '--changelog', 'auto', '--checkpoint-dir', join(tmpDir(), 'member')]);
    run = proc;
    const base = `http://127.0.0.1:${port}`;

    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    for (let tries = 0; ; tries++) {
      try {
        await page.goto(`${base}/`);
        break;
      } catch (e) {
        if (tries > 100 || proc.child.exitCode !== null) throw new Error(`no dashboard at ${base}: ${String(e)}; stderr:\n${proc.stderr()}`);
        await new Promise((r) => setTimeout(r, 200)); // the server is not listening yet
      }
    }
    // Joined, restored, and a few checkpoints committed with their state in the changelog.
    const num = (id: string) => `Number(document.querySelector('[data-testid="${id}"]')?.dataset.value ?? 0)`;
    await page.waitForFunction(`${num('member-restores')} >= 1 && ${num('member-changelog-bytes')} > 0 && ${num('member-commits')} > 0
      && document.querySelectorAll('#member-members-body tr').length === 1`, null, { timeout: 60_000 });
    const shown = await page.evaluate(() => {
      const v = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!.dataset.value!;
      const rows = [...document.querySelectorAll<HTMLElement>('#member-members-body tr')];
      return {
        push: Number(document.getElementById('app')!.dataset.push),
        hidden: document.getElementById('member-card')!.hidden,
        assigned: v('member-assigned'),
        assignedText: document.querySelector('[data-testid="member-assigned"]')!.textContent,
        generation: Number(v('member-generation')),
        restores: Number(v('member-restores')),
        lastRestoreMs: Number(v('member-last-restore-ms')),
        lastRestoreBytes: Number(v('member-last-restore-bytes')),
        changelogBytes: Number(v('member-changelog-bytes')),
        commits: Number(v('member-commits')),
        aborts: Number(v('member-aborts')),
        rows: rows.map((r) => ({ testid: r.dataset.testid, partitions: r.dataset.partitions, cells: [...r.cells].map((c) => c.textContent) })),
        title: document.querySelector('[data-testid="member-id"]')!.textContent,
      };
    });
    const api = (await (await fetch(`${base}/api/stats?push=${shown.push}`)).json()) as StatsSnapshot;
    const m = api.member!;
    expect(m).not.toBeNull();
    expect(shown.hidden).toBe(false);
    expect(shown.assigned).toBe(m.assigned.join(','));
    expect(m.assigned).toEqual([0, 1, 2, 3]);
    expect(shown.assignedText).toBe('0-3');
    expect(shown.generation).toBe(m.generation);
    expect(shown.restores).toBe(m.restores.count);
    const last = m.restores.recent.at(-1)!;
    expect(shown.lastRestoreMs).toBe(last.readMs + last.rewindMs);
    expect(shown.lastRestoreBytes).toBe(last.bytes);
    expect(shown.changelogBytes).toBe(m.changelog.bytes);
    expect(shown.commits).toBe(m.transactions.commits);
    expect(shown.aborts).toBe(m.transactions.aborts);
    expect(shown.rows).toEqual(m.members.map((g) => ({
      testid: `member-row-${g.memberId}`, partitions: g.partitions.join(','), cells: [`${g.memberId} (this)`, g.clientId, g.host, '0-3'],
    })));
    expect(shown.title).toContain(m.memberId!);
    expect(shown.title).toContain(group);
    expect(errors).toEqual([]);
    await page.close();

    stop = true;
    await producing;
    proc.child.kill('SIGTERM');
    const exit = await proc.exit;
    expect(exit.code, exit.stderr).toBe(0);
  }, 120_000);
});
