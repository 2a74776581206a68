// npm run bench:kafka — Kafka in, window job, null sink: records/s of Sabre
// consuming a topic through the full job, next to a bare kafkajs consumer
// group that only JSON-parses each message (the floor Sabre is built on).
// Both use the same client settings (src/io/kafka/kafka-client.ts); runs
// alternate, each with a fresh consumer group over the same topic.
//
// Produces --count records (the generator sequence, JSON, keyed) to a fresh
// topic first. Uses KAFKA_BROKERS if set, else starts the local broker with
// scripts/kafka/up.sh and stops it at the end (unless it was already running).
import { execFileSync } from 'node:child_process';
import { createEngine } from '../src/index.js';
import { produceCommand } from '../src/cli/produce-command.js';
import { createConsumer, createKafka } from '../src/io/kafka/kafka-client.js';
import { numArgs, progress, report, stats } from './bench-util.js';

const a = numArgs({ count: 2_000_000, keys: 10_000, partitions: 8, workers: 1, repeat: 3 });

function broker(): { brokers: string; stop: () => void } {
  if (process.env.KAFKA_BROKERS) return { brokers: process.env.KAFKA_BROKERS, stop: () => {} };
  progress('[bench:kafka] starting the local broker (scripts/kafka/up.sh)');
  const out = execFileSync('bash', ['scripts/kafka/up.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const brokers = /^KAFKA_BROKERS=(\S+)$/m.exec(out)?.[1];
  if (!brokers) throw new Error(`scripts/kafka/up.sh printed no KAFKA_BROKERS line:\n${out}`);
  const ours = !/already running/.test(out);
  return { brokers, stop: () => { if (ours) execFileSync('bash', ['scripts/kafka/down.sh'], { stdio: 'ignore' }); } };
}

interface Run { recordsPerSec: number; wallMs: number }

/** A consumer group that JSON-parses every message and counts: kafkajs's own cost, nothing else. */
async function bare(brokers: string, topic: string, group: string): Promise<Run> {
  const consumer = createConsumer(createKafka(brokers, 'bench-bare'), { groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let n = 0;
  let sink = 0;
  let first = 0;
  let last = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const t0 = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (first === 0) first = performance.now();
      for (const m of batch.messages) {
        const v = JSON.parse(m.value!.toString('utf8')) as { value: number };
        sink += v.value;
        n++;
      }
      resolveOffset(batch.lastOffset());
      if (n >= a.count && last === 0) {
        last = performance.now();
        resolveDone();
      }
    },
  });
  await done;
  await consumer.disconnect();
  if (sink === 0) throw new Error('nothing parsed');
  return { recordsPerSec: n / ((last - first) / 1000), wallMs: last - t0 };
}

/** The full job: Kafka source → partitioned rings → workers (tumbling 1 s, five aggregates) → null sink. */
async function sabre(brokers: string, topic: string, group: string): Promise<Run & { results: number }> {
  const engine = createEngine({
    source: `kafka:${topic}`, brokers, group, window: 'tumbling:1s', agg: 'count,sum,min,max,avg', outOfOrderness: '200ms',
    idleTimeout: '1000000000h', sink: 'null', lateOutput: 'null', deadLetter: 'null',
    partitions: a.partitions, workers: a.workers, progress: 0, httpPort: 0,
  });
  const t0 = performance.now();
  await engine.start();
  let first = 0;
  for (;;) {
    const s = engine.snapshot();
    if (first === 0 && s.recordsIn > 0) first = performance.now();
    if (s.recordsProcessed >= a.count) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const last = performance.now();
  const summary = await engine.stop();
  return { recordsPerSec: a.count / ((last - first) / 1000), wallMs: last - t0, results: summary.results };
}

const b = broker();
try {
  const topic = `bench-kafka-${Date.now().toString(36)}`;
  progress(`[bench:kafka] producing ${a.count} records to ${topic}`);
  const t0 = performance.now();
  const code = await produceCommand({ brokers: b.brokers, count: a.count, keys: a.keys, progress: 0 }, topic);
  if (code !== 0) throw new Error(`produce exited ${code}`);
  const produceSecs = (performance.now() - t0) / 1000;
  const bareRuns: Run[] = [];
  const sabreRuns: (Run & { results: number })[] = [];
  for (let r = 1; r <= a.repeat; r++) {
    progress(`[bench:kafka] run ${r}/${a.repeat}: bare kafkajs eachBatch + JSON.parse`);
    bareRuns.push(await bare(b.brokers, topic, `bench-bare-${r}-${Date.now().toString(36)}`));
    progress(`[bench:kafka] run ${r}/${a.repeat}: sabre P=${a.partitions} W=${a.workers}`);
    sabreRuns.push(await sabre(b.brokers, topic, `bench-sabre-${r}-${Date.now().toString(36)}`));
  }
  progress('');
  const bareStats = stats(bareRuns.map((x) => x.recordsPerSec));
  const sabreStats = stats(sabreRuns.map((x) => x.recordsPerSec));
  report('kafka', {
    job: { count: a.count, keys: a.keys, topicPartitions: 8, window: 'tumbling:1s', aggregates: 5, partitions: a.partitions, workers: a.workers, sink: 'null' },
    produce: { recordsPerSec: a.count / produceSecs, seconds: produceSecs },
    bareKafkajsRecordsPerSec: bareStats,
    sabreRecordsPerSec: sabreStats,
    wallMsIncludingGroupJoin: { bare: bareRuns.map((x) => Math.round(x.wallMs)), sabre: sabreRuns.map((x) => Math.round(x.wallMs)) },
    windowsFired: sabreRuns[0]?.results,
    ratio: sabreStats.median / bareStats.median,
    target: 0.95,
  });
} finally {
  b.stop();
}
