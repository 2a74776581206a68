import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, resolveOptions, type EngineOptions } from '../../dist/src/index.js';
import { checkpointPath, listCheckpoints, type Manifest } from '../../dist/src/checkpoint/manifest.js';
import { SINK_DEFAULTS } from '../../dist/src/io/kafka/sink/kafka-sink.js';
import { TransactionalKafkaSink } from '../../dist/src/io/kafka/sink/transactional-sink.js';
import { createAdmin, createKafka, createProducer, ensureTopic } from '../../dist/src/io/kafka/kafka-client.js';
import { tmpDir } from '../helpers/engine-run.js';
import { seeded, startSabre, waitFor } from '../helpers/sabre-process.js';
import {
  NO_IDLE, brokers, describeKafka, groupOffsets, kafkaSourceOf, produceTrades, readIsolated, unique, until,
} from '../helpers/kafka-env.js';

// Kafka → Sabre → Kafka with the transactional sink, SIGKILLed at seeded random moments while the input
// is still being produced. P = 8 = the topic's partitions, so each Sabre partition is fed by exactly one
// Kafka partition, in offset order: watermarks and lateness do not depend on how the consumer interleaves
// partitions, and every run — killed, restored or not — must produce the same window results.
const SPEC = { count: 120_000, keys: 200, seed: 17, disorder: 100, eventsPerMs: 5 };
const JOB = {
  window: 'tumbling:250ms', agg: 'count,sum,max', outOfOrderness: '150ms', idleTimeout: NO_IDLE, partitions: 8, workers: 2,
  lateOutput: 'null', deadLetter: 'null',
};
const KILLS = 22;
const flags = (o: Record<string, string | number>): string[] =>
  Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(v)]);

/** Library run until the source has every record of the topic, then END (fires every open window). */
async function runToEnd(topic: string, options: EngineOptions) {
  const engine = createEngine({ source: `kafka:${topic}`, brokers, ...JOB, progress: 0, httpPort: 0, ...options });
  await engine.start();
  const src = kafkaSourceOf(engine);
  const { ends } = await groupOffsets(String(options.group), topic);
  await until(() => {
    const pos = new Map(src.positions().map((p) => [p.partition, Number(p.offset)]));
    return [...ends].every(([p, end]) => (pos.get(p) ?? 0) >= end);
  }, 'the source to reach the end of the topic', 60_000, 50);
  return engine.stop();
}

/** Source positions a checkpoint manifest recorded, per partition. */
function manifestPositions(cp: string, id: number, source: string): Map<number, number> {
  const m = JSON.parse(readFileSync(join(checkpointPath(cp, id), 'manifest.json'), 'utf8')) as
    { sources: { name: string; position: { partition: number; offset: string }[] }[] };
  const at = m.sources.find((s) => s.name === source)?.position ?? [];
  return new Map(at.map((p) => [p.partition, Number(p.offset)]));
}

/** The marker: the last checkpoint whose transaction committed (0: none). */
async function markerOf(markerGroup: string, out: string): Promise<number> {
  const { committed } = await groupOffsets(markerGroup, out);
  return Math.max(0, committed.get(0) ?? -1);
}

describeKafka('transactional Kafka sink: exactly-once output through SIGKILLs', () => {
  it(`${KILLS} SIGKILLs at seeded random moments, restarts: a read_committed consumer sees exactly the uninterrupted run's results`, async () => {
    const t0 = Date.now();
    const topic = unique('eo-in');
    const out = unique('eo-out');
    const dir = tmpDir();
    const cp = join(dir, 'cp');
    const base = unique('eo');
    const sink = `kafka:${out}`;
    const markerGroup = resolveOptions({ source: `kafka:${topic}`, sink, checkpointDir: cp }).transactionalId!;
    // Paced over ~30 s: the killed runs keep finding new input, and kills land mid-stream.
    const producing = produceTrades(topic, SPEC, { perSend: 1000, pauseMs: 200 });
    await until(async () => (await groupOffsets(base, topic).catch(() => undefined)) !== undefined, 'the input topic', 30_000, 100);

    const rnd = seeded(6061);
    const deadline = Date.now() + 90_000;
    let kills = 0;
    const passedOver = new Set<string>();
    let killsAfterCommit = 0;
    let marker = 0;
    for (let run = 0; kills < KILLS && Date.now() < deadline; run++) {
      // A fresh consumer group per process: a SIGKILLed member stays in its group until its session
      // times out (6 s, the broker's minimum), which would hold every restart's first fetch back. The
      // restore seeks to the checkpoint's offsets, so the group only carries what the transactions commit.
      const group = `${base}-${run}`;
      const proc = startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, ...flags(JOB),
        '--sink', sink, '--progress', '0', '--http-port', '0', '--checkpoint-dir', cp, '--checkpoint-interval', '250ms']);
      // Kills paced by what the run has done, not by time since spawn: on a loaded machine a process takes
      // seconds to start, and time-paced kills all land before its first commit. A quarter of the runs die
      // early (start-up, restore, first fetch); the rest once they have written one or two checkpoints of
      // their own, at a random moment within the next two checkpoint intervals (between a manifest and its commit, or after).
      if (rnd() < 0.25) {
        await new Promise((r) => setTimeout(r, 300 + rnd() * 2500));
      } else {
        const before = Math.max(0, ...listCheckpoints(cp));
        const want = 1 + Math.floor(rnd() * 2);
        await waitFor(`run ${run} to write ${want} checkpoint(s)`,
          () => listCheckpoints(cp).filter((id) => id > before).length >= want, proc, 30_000);
        await new Promise((r) => setTimeout(r, rnd() * 500));
      }
      const live = proc.child.exitCode === null;
      if (live) proc.child.kill('SIGKILL');
      const exit = await proc.exit;
      expect(exit.signal, exit.stderr).toBe('SIGKILL');
      expect(exit.stderr).not.toMatch(/ERR_|ERROR kafka:/); // no sink or source failure (kafkajs logs retried errors)
      kills++;
      // A kill between a manifest and its commit: the restart passed that checkpoint over.
      for (const m of exit.stderr.matchAll(/checkpoint ([\d, ]+) not restored: its results never committed/g)) {
        for (const id of m[1]!.split(', ')) passedOver.add(id);
      }

      // Results and input offsets committed atomically: the run's group holds exactly the offsets of the
      // checkpoint the marker names if the run committed a transaction, and nothing if it did not.
      const now = await markerOf(markerGroup, out);
      expect(now).toBeGreaterThanOrEqual(marker);
      const { committed } = await groupOffsets(group, topic);
      if (now > marker) {
        killsAfterCommit++;
        const want = manifestPositions(cp, now, `kafka:${topic}`);
        for (const [p, off] of committed) expect(off, `partition ${p} of ${group}`).toBe(want.get(p) ?? -1);
      } else {
        for (const off of committed.values()) expect(off).toBe(-1);
      }
      expect(Math.max(0, ...listCheckpoints(cp))).toBeGreaterThanOrEqual(now);
      marker = now;
    }
    await producing;
    const killPhaseMs = Date.now() - t0;
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(killsAfterCommit).toBeGreaterThanOrEqual(8); // kills that hit a run after it had committed (three quarters of the runs wait for a checkpoint)

    // The last run restores, reads to the end of the topic and ENDs: its final checkpoint commits the rest.
    const finalGroup = `${base}-final`;
    const summary = await runToEnd(topic, { group: finalGroup, sink, checkpointDir: cp, checkpointInterval: '250ms' });
    expect(summary.checkpoints?.restoredFrom ?? 0).toBe(marker);
    const last = await markerOf(markerGroup, out);
    expect(last).toBeGreaterThan(marker);
    const { committed: finalOffsets, ends } = await groupOffsets(finalGroup, topic);
    expect(finalOffsets).toEqual(ends);

    // Reference: one uninterrupted run of the same job, no checkpoints, to a file.
    const refPath = join(dir, 'ref.ndjson');
    await runToEnd(topic, { group: `${base}-ref`, sink: `file:${refPath}` });
    const reference = readFileSync(refPath, 'utf8').split('\n').filter(Boolean).sort();
    expect(reference.length).toBeGreaterThan(2000);

    const seen = await readIsolated(out, 'read_committed');
    for (const m of seen) expect(m.key).toBe((JSON.parse(m.value.toString()) as { key: string }).key);
    const got = seen.map((m) => m.value.toString()).sort();
    expect(got.length).toBe(reference.length);
    expect(got).toEqual(reference);
    // What the killed runs had sent but not committed is in the topic too, aborted: read_uncommitted sees it.
    const aborted = (await readIsolated(out, 'read_uncommitted')).length - got.length;
    process.stderr.write(`[exactly-once] ${kills} kills (${killsAfterCommit} after a commit of their own; `
      + `${passedOver.size} complete checkpoints passed over because their transaction was aborted) in ${(killPhaseMs / 1000).toFixed(1)} s, `
      + `last committed checkpoint ${last}; ${got.length} results committed once each, ${aborted} aborted records invisible to read_committed; `
      + `${((Date.now() - t0) / 1000).toFixed(1)} s in all\n`);
    expect(aborted).toBeGreaterThan(0);
  }, 200_000);
});

/** A complete checkpoint as the engine hands it to the sink (no source positions). */
const manifest = (id: number): Manifest => ({
  format: 'sabre-checkpoint', version: 1, id, completedAt: new Date().toISOString(), durationMs: 0, job: 'test',
  keyGroups: 8, partitions: 1, workers: 1, sources: [], snapshots: [], final: false,
});

const lines = (epoch: number, n: number, pad = ''): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"key":"k${i % 13}","start":${epoch * 1000 + i},"end":${epoch * 1000 + i + 1},"count":1,"pad":"${pad}","fire":"watermark"}\n`;
  return s;
};

async function openSink(topic: string, transactionalId: string, maxInFlightBytes = SINK_DEFAULTS.maxInFlightBytes) {
  const kafka = createKafka(brokers);
  const admin = createAdmin(kafka);
  await admin.connect();
  await ensureTopic(admin, topic, 8);
  const producer = createProducer(kafka, { transactionalId, transactionTimeout: 60_000 });
  await producer.connect();
  try {
    return await TransactionalKafkaSink.open({
      topic, markerGroup: transactionalId, source: undefined, format: 'json', aggregates: ['count'],
      limits: { ...SINK_DEFAULTS, maxInFlightBytes },
    }, producer, admin);
  } finally {
    await admin.disconnect();
  }
}

const starts = (ms: { value: Buffer }[]): number[] => ms.map((m) => (JSON.parse(m.value.toString()) as { start: number }).start).sort((a, b) => a - b);

describeKafka('transactional Kafka sink: epochs, bounds, fencing', () => {
  it('an epoch commits with its checkpoint; a later epoch is held (refused past the bound) until then; close aborts what is open', async () => {
    const topic = unique('eo-sink');
    const id = unique('eo-tx');
    const limit = 16 << 10;
    const sink = await openSink(topic, id, limit);
    expect(sink.committedCheckpoint).toBe(0);
    sink.begin(1);
    expect(sink.writeEpoch(1, lines(1, 50), 50)).toBe(true);
    // A worker ahead of the barrier: epoch 2 is held, and once it holds the bound the drain is told to wait.
    const pad = 'x'.repeat(200);
    for (let i = 0; sink.accepts(2); i++) {
      expect(i).toBeLessThan(100);
      expect(sink.writeEpoch(2, lines(2, 20, pad), 20)).toBe(true); // the open epoch alone decides write()'s answer
    }
    expect(sink.accepts(1)).toBe(true);
    expect(sink.pendingBytes).toBeGreaterThanOrEqual(limit);
    const t0 = performance.now();
    await sink.commitCheckpoint(manifest(1));
    const commitMs = performance.now() - t0;
    expect(sink.committedCheckpoint).toBe(1);
    expect(sink.accepts(2)).toBe(true);
    sink.writeEpoch(2, lines(3, 5), 5);
    await sink.close(); // epoch 2 never had its checkpoint: aborted

    const committed = await readIsolated(topic, 'read_committed');
    expect(starts(committed)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
    const all = await readIsolated(topic, 'read_uncommitted');
    expect(all.length).toBeGreaterThan(committed.length + 5); // epoch 2 was sent, then aborted
    // The marker: a new sink with the same transactional id knows checkpoint 1 committed.
    const again = await openSink(topic, id);
    expect(again.committedCheckpoint).toBe(1);
    const t1 = performance.now();
    await again.commitCheckpoint(manifest(2)); // an empty epoch still commits its marker
    const emptyMs = performance.now() - t1;
    await again.close();
    expect((await openSink(topic, id)).committedCheckpoint).toBe(2);
    process.stderr.write(`[exactly-once] commit with 50 results ${commitMs.toFixed(0)} ms, empty commit ${emptyMs.toFixed(0)} ms\n`);
  });

  it('a second sink with the same transactional id fences the first: its commit fails (ERR_SINK) and its results stay invisible', async () => {
    const topic = unique('eo-fence');
    const id = unique('eo-tx');
    const zombie = await openSink(topic, id);
    zombie.begin(1);
    zombie.writeEpoch(1, lines(1, 30), 30);
    await until(() => zombie.pendingBytes === 0, 'the zombie to send its results', 10_000);
    const successor = await openSink(topic, id); // the restarted process
    await expect(zombie.commitCheckpoint(manifest(1))).rejects.toMatchObject({ code: 'ERR_SINK' });
    await zombie.close().catch(() => {});
    successor.begin(1);
    successor.writeEpoch(1, lines(5, 10), 10);
    await successor.commitCheckpoint(manifest(1));
    await successor.close();
    expect(starts(await readIsolated(topic, 'read_committed'))).toEqual(Array.from({ length: 10 }, (_, i) => 5000 + i));
  });
});
