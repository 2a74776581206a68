import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath, listCheckpoints } from '../../dist/src/checkpoint/manifest.js';
import { createEngine } from '../../dist/src/index.js';
import { tmpDir } from '../helpers/engine-run.js';
import { committedLines, seeded, startSabre } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, groupOffsets, produceTrades, sum, unique, until } from '../helpers/kafka-env.js';
import { kafkaSourceOf } from '../helpers/kafka-env.js';

// The bound spans the whole topic: Kafka partitions interleave arbitrarily, so nothing may depend on the order
// in which the consumer reads them; windows fire at END, and every record lives in checkpointed state until then.
const SPEC = { count: 150_000, keys: 300, seed: 5, disorder: 100, eventsPerMs: 20 };
const JOB = { window: 'tumbling:1s', agg: 'count,sum,max', outOfOrderness: '1h', idleTimeout: NO_IDLE, partitions: 4, workers: 1 };
const flags = (o: Record<string, string | number>): string[] => Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(v)]);

/** The Kafka positions every complete manifest in `cp` recorded, by checkpoint id (partition → next offset). */
function manifestPositions(cp: string, source: string): Map<number, Map<number, number>> {
  const all = new Map<number, Map<number, number>>();
  for (const id of listCheckpoints(cp)) {
    const m = JSON.parse(readFileSync(join(checkpointPath(cp, id), 'manifest.json'), 'utf8')) as
      { sources: { name: string; position: { partition: number; offset: string }[] }[] };
    all.set(id, new Map((m.sources.find((x) => x.name === source)?.position ?? []).map((p) => [p.partition, Number(p.offset)])));
  }
  return all;
}

/** Run the job on the library API until every record of the topic is in, then END. */
async function runToEnd(topic: string, group: string, extra: Record<string, unknown>) {
  const engine = createEngine({ source: `kafka:${topic}`, brokers, group, ...JOB, sink: 'null', lateOutput: 'null', progress: 0, httpPort: 0, ...extra });
  await engine.start();
  const src = kafkaSourceOf(engine);
  await until(async () => {
    const { ends, committed } = await groupOffsets(group, topic);
    // A partition read to its end before a restore yields nothing new: its committed offset says where it is.
    const pos = new Map(src.positions().map((p) => [p.partition, Number(p.offset)]));
    return [...ends].every(([p, end]) => Math.max(pos.get(p) ?? 0, committed.get(p) ?? 0) >= end);
  }, 'the source to reach the end of the topic', 120_000, 100);
  return engine.stop();
}

describeKafka('checkpoints with the Kafka source: offsets are committed only with a complete checkpoint', () => {
  it('SIGKILLs at seeded random moments and restarts: the committed file output equals an uninterrupted run', async () => {
    const topic = unique('cp');
    await produceTrades(topic, SPEC);
    const dir = tmpDir();

    // Uninterrupted reference (its own group, no checkpoints): every window firing once.
    const refOut = join(dir, 'ref.ndjson');
    await runToEnd(topic, unique('cp-ref'), { sink: `file:${refOut}` });
    const reference = (await import('node:fs')).readFileSync(refOut, 'utf8').split('\n').filter(Boolean).sort();
    expect(reference.length).toBeGreaterThan(1000);

    const group = unique('cp-run');
    const out = join(dir, 'out.ndjson');
    const cp = join(dir, 'cp');
    const rnd = seeded(4242);
    let kills = 0;
    let committedSeen = 0;
    for (let k = 0; k < 4; k++) {
      const run = startSabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, ...flags(JOB),
        '--sink', `file:${out}`, '--late-output', 'null', '--progress', '0', '--http-port', '0',
        '--checkpoint-dir', cp, '--checkpoint-interval', '300ms', '--checkpoints-retained', '1000']);
      // Let it join the group and checkpoint a few times, then kill it at a random moment.
      await new Promise((r) => setTimeout(r, 2500 + rnd() * 2500));
      if (run.child.exitCode === null) { run.child.kill('SIGKILL'); kills++; }
      await run.exit;
      const offsets = (await groupOffsets(group, topic)).committed;
      const committed = sum(offsets);
      expect(committed).toBeGreaterThanOrEqual(committedSeen); // commits only move forward, with checkpoints
      committedSeen = committed;
      // Every committed offset is one a complete manifest recorded (all are retained here): never beyond a
      // checkpoint. Per partition: a manifest lists the partitions assigned when it was taken (while a killed
      // member still holds some, until its session times out, fewer), and a commit carries those only.
      if (committed > 0) {
        const manifests = [...manifestPositions(cp, `kafka:${topic}`).values()];
        for (const [p, off] of offsets) {
          if (off >= 0) expect(manifests.some((pos) => pos.get(p) === off), `partition ${p}: committed ${off} is in no manifest`).toBe(true);
        }
      }
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(committedSeen).toBeGreaterThan(0);
    expect(committedSeen).toBeLessThan(SPEC.count * 2);
    // The last run restores the newest checkpoint, reads to the end of the topic and ENDs.
    const summary = await runToEnd(topic, group, { sink: `file:${out}`, checkpointDir: cp, checkpointInterval: '300ms' });
    expect(summary.checkpoints?.restoredFrom).toBeGreaterThan(0);
    expect(committedLines(out)).toEqual(reference);
  }, 240_000);
});
