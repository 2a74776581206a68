// npm run bench:kafka — Kafka in, window job, null sink: records/s of Sabre
// consuming a topic through the full job, next to three bare kafkajs
// consumer groups of the same topic:
//   - ceiling: stock kafkajs (its own record decoder), eachBatch that only
//     iterates the messages and touches each value's bytes (length and last
//     byte). What a hand-written kafkajs consumer costs at the least: the
//     issue's baseline, Sabre ÷ ceiling ≥ 0.95 the target.
//   - sameDecoder: the same bare consumer with Sabre's record batch decoder
//     (src/io/kafka/source/record-batch-decoder.ts) in kafkajs. Sabre ÷ this is what
//     the engine costs on top of its Kafka client, with the client's gain
//     taken out: the honest "is the engine the bottleneck" figure.
//   - json: stock kafkajs plus JSON.parse of every value, as a typical
//     hand-written consumer does.
// Every run is its own process (the decoder is chosen per process: stock
// runs get SABRE_KAFKA_DECODER=kafkajs), so no run inherits another's heap.
// All use the same client settings (src/io/kafka/kafka-client.ts); within a
// round the four run back to back, each with a fresh consumer group over the
// same topic, and the report gives per-round ratios as well as ratios of
// medians, because the machine is noisy.
//
// Produces --count records (the generator sequence, JSON, keyed) to a fresh
// topic first. Uses KAFKA_BROKERS if set, else starts the local broker with
// scripts/kafka/up.sh and stops it at the end (unless it was already running).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/index.js';
import { produceCommand } from '../src/cli/produce-command.js';
import { createConsumer, createKafka, kafkaDecoder } from '../src/io/kafka/kafka-client.js';
import { median, numArgs, progress, report, stats } from './bench-util.js';
import * as flatbuffers from 'flatbuffers';
import { Record } from '../src/codec/flat/generated/sabre/fb/record.js';

const rec = new Record();

// --format json|flatbuffers (default json): the values' format. With flatbuffers Sabre copies each value
// into its ring without decoding it, so Sabre ÷ ceiling then shows the engine's own cost on the main thread;
// the second baseline decodes every value with the flatc-generated classes instead of JSON.parse.
const formatAt = process.argv.indexOf('--format');
const format = formatAt >= 0 ? process.argv[formatAt + 1] : 'json';
if (format !== 'json' && format !== 'flatbuffers') throw new Error(`--format json|flatbuffers, got ${format}`);
/** A child run: `--run ceiling|json|sabre --topic T --group G` (the parent passes the rest). */
const stringArg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const otherArgs = process.argv.slice(2);
for (const name of ['--format', '--run', '--topic', '--group', '--brokers']) {
  const at = otherArgs.indexOf(name);
  if (at >= 0) otherArgs.splice(at, 2);
}
const a = numArgs({ count: 2_000_000, keys: 10_000, partitions: 8, workers: 1, repeat: 5 }, otherArgs);

function broker(): { brokers: string; stop: () => void } {
  if (process.env.KAFKA_BROKERS) return { brokers: process.env.KAFKA_BROKERS, stop: () => {} };
  progress('[bench:kafka] starting the local broker (scripts/kafka/up.sh)');
  const out = execFileSync('bash', ['scripts/kafka/up.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const brokers = /^KAFKA_BROKERS=(\S+)$/m.exec(out)?.[1];
  if (!brokers) throw new Error(`scripts/kafka/up.sh printed no KAFKA_BROKERS line:\n${out}`);
  const ours = !/already running/.test(out);
  return { brokers, stop: () => { if (ours) execFileSync('bash', ['scripts/kafka/down.sh'], { stdio: 'ignore' }); } };
}

interface Run {
  recordsPerSec: number;
  wallMs: number;
  /** Main-thread event-loop busy time per record, first record to last (where kafkajs and Sabre's source run), µs. */
  mainBusyUsPerRecord: number;
  /** CPU time of the whole process per record over the same interval (every thread: main, Sabre's worker, GC), µs. */
  cpuUsPerRecord: number;
}

/** Main-thread busy time and process CPU from a start mark, per record. */
function costMark(): (records: number) => { mainBusyUsPerRecord: number; cpuUsPerRecord: number } {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  return (records) => {
    const e = performance.eventLoopUtilization(elu);
    const c = process.cpuUsage(cpu);
    return { mainBusyUsPerRecord: (e.active * 1000) / records, cpuUsPerRecord: (c.user + c.system) / records };
  };
}

/**
 * A bare consumer group: `parse` false touches every value's bytes and counts
 * (kafkajs's own cost, nothing else: the ceiling); true also JSON-parses each value.
 */
async function bare(brokers: string, topic: string, group: string, parse: boolean): Promise<Run> {
  const consumer = createConsumer(createKafka(brokers, 'bench-bare'), { groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let n = 0;
  let sink = 0;
  let first = 0;
  let last = 0;
  let cost: ReturnType<typeof costMark> | undefined;
  let costs: ReturnType<ReturnType<typeof costMark>> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const t0 = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (first === 0) {
        first = performance.now();
        cost = costMark();
      }
      if (parse && format === 'flatbuffers') {
        for (const m of batch.messages) {
          sink += Record.getRootAsRecord(new flatbuffers.ByteBuffer(m.value!), rec).value();
          n++;
        }
      } else if (parse) {
        for (const m of batch.messages) {
          const v = JSON.parse(m.value!.toString('utf8')) as { value: number };
          sink += v.value;
          n++;
        }
      } else {
        for (const m of batch.messages) {
          const v = m.value!;
          sink += v.length + v[v.length - 1]!;
          n++;
        }
      }
      resolveOffset(batch.lastOffset());
      if (n >= a.count && last === 0) {
        last = performance.now();
        costs = cost!(n);
        resolveDone();
      }
    },
  });
  await done;
  await consumer.disconnect();
  if (sink === 0) throw new Error('nothing read');
  return { recordsPerSec: n / ((last - first) / 1000), wallMs: last - t0, ...costs! };
}

/** The full job: Kafka source → partitioned rings → workers (tumbling 1 s, five aggregates) → null sink. */
async function sabre(brokers: string, topic: string, group: string): Promise<Run & { results: number }> {
  const engine = createEngine({
    source: `kafka:${topic}`, brokers, group, format, window: 'tumbling:1s', agg: 'count,sum,min,max,avg', outOfOrderness: '200ms',
    idleTimeout: '1000000000h', sink: 'null', lateOutput: 'null', deadLetter: 'null',
    partitions: a.partitions, workers: a.workers, progress: 0, httpPort: 0,
  });
  const t0 = performance.now();
  await engine.start();
  let first = 0;
  let cost: ReturnType<typeof costMark> | undefined;
  for (;;) {
    const s = engine.snapshot();
    if (first === 0 && s.recordsIn > 0) {
      first = performance.now();
      cost = costMark();
    }
    if (s.recordsProcessed >= a.count) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const last = performance.now();
  const costs = cost!(a.count);
  const summary = await engine.stop();
  return { recordsPerSec: a.count / ((last - first) / 1000), wallMs: last - t0, results: summary.results, ...costs };
}

type Kind = 'ceiling' | 'sameDecoder' | 'json' | 'sabre';

/** One run in a fresh process: stock kafkajs for the baselines but sameDecoder, Sabre's decoder for it and Sabre. */
function runChild(kind: Kind, brokers: string, topic: string, group: string): Run & { results?: number; decoder: string } {
  const stockDecoder = kind === 'ceiling' || kind === 'json';
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--run', kind, '--topic', topic, '--group', group, '--brokers', brokers,
    '--format', format, '--count', String(a.count), '--partitions', String(a.partitions), '--workers', String(a.workers)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20,
    env: { ...process.env, SABRE_KAFKA_DECODER: stockDecoder ? 'kafkajs' : 'sabre' },
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as Run & { results?: number; decoder: string };
  const want = stockDecoder ? 'kafkajs' : 'sabre';
  if (r.decoder !== want) throw new Error(`${kind} run used the ${r.decoder} decoder, not ${want}`);
  return r;
}

const childKind = stringArg('--run') as Kind | undefined;
if (childKind !== undefined) {
  const brokers = stringArg('--brokers')!;
  const topic = stringArg('--topic')!;
  const group = stringArg('--group')!;
  const r = childKind === 'sabre' ? await sabre(brokers, topic, group) : await bare(brokers, topic, group, childKind === 'json');
  process.stdout.write(JSON.stringify({ ...r, decoder: kafkaDecoder }) + '\n');
  process.exit(0);
}

const b = broker();
try {
  const topic = `bench-kafka-${Date.now().toString(36)}`;
  progress(`[bench:kafka] producing ${a.count} records to ${topic}`);
  const t0 = performance.now();
  const code = await produceCommand({ brokers: b.brokers, count: a.count, keys: a.keys, format, progress: 0 }, topic);
  if (code !== 0) throw new Error(`produce exited ${code}`);
  const produceSecs = (performance.now() - t0) / 1000;
  const ceilingRuns: Run[] = [];
  const sameDecoderRuns: Run[] = [];
  const jsonRuns: Run[] = [];
  const sabreRuns: (Run & { results?: number })[] = [];
  const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;
  for (let r = 1; r <= a.repeat; r++) {
    const tag = `${r}-${Date.now().toString(36)}`;
    progress(`[bench:kafka] round ${r}/${a.repeat}: bare stock kafkajs eachBatch, values touched (ceiling)`);
    ceilingRuns.push(runChild('ceiling', b.brokers, topic, `bench-ceiling-${tag}`));
    progress(`[bench:kafka] round ${r}/${a.repeat}: the same with Sabre's record batch decoder`);
    sameDecoderRuns.push(runChild('sameDecoder', b.brokers, topic, `bench-same-${tag}`));
    progress(`[bench:kafka] round ${r}/${a.repeat}: bare stock kafkajs eachBatch + ${format === 'json' ? 'JSON.parse' : 'flatbuffers decode'}`);
    jsonRuns.push(runChild('json', b.brokers, topic, `bench-bare-${tag}`));
    progress(`[bench:kafka] round ${r}/${a.repeat}: sabre P=${a.partitions} W=${a.workers}`);
    sabreRuns.push(runChild('sabre', b.brokers, topic, `bench-sabre-${tag}`));
  }
  progress('');
  const ceilingStats = stats(ceilingRuns.map((x) => x.recordsPerSec));
  const sameDecoderStats = stats(sameDecoderRuns.map((x) => x.recordsPerSec));
  const jsonStats = stats(jsonRuns.map((x) => x.recordsPerSec));
  const sabreStats = stats(sabreRuns.map((x) => x.recordsPerSec));
  const perRound = (base: Run[]): ReturnType<typeof stats> => stats(sabreRuns.map((x, i) => x.recordsPerSec / base[i]!.recordsPerSec));
  report(format === 'json' ? 'kafka' : 'kafka-flatbuffers', {
    job: { format, count: a.count, keys: a.keys, topicPartitions: 8, window: 'tumbling:1s', aggregates: 5, partitions: a.partitions, workers: a.workers, sink: 'null' },
    repeat: a.repeat,
    loadAvgAtStart,
    produce: { recordsPerSec: a.count / produceSecs, seconds: produceSecs },
    baselines: {
      ceiling: 'stock kafkajs eachBatch, every message iterated and its value bytes touched (length + last byte), nothing else',
      sameDecoder: 'the ceiling consumer with Sabre\'s record batch decoder in kafkajs (what Sabre\'s source reads through)',
      json: format === 'json' ? 'stock kafkajs eachBatch, every value JSON.parse()d and its value field summed'
        : 'stock kafkajs eachBatch, every value read with the flatc-generated sabre.fb.Record and its value summed',
    },
    kafkaClientSettings: 'src/io/kafka/kafka-client.ts KAFKA_DEFAULTS, the same for every run',
    ceilingRecordsPerSec: ceilingStats,
    sameDecoderRecordsPerSec: sameDecoderStats,
    bareKafkajsRecordsPerSec: jsonStats, // the JSON-parsing consumer (the name older results used)
    sabreRecordsPerSec: sabreStats,
    wallMsIncludingGroupJoin: {
      ceiling: ceilingRuns.map((x) => Math.round(x.wallMs)), sameDecoder: sameDecoderRuns.map((x) => Math.round(x.wallMs)),
      bare: jsonRuns.map((x) => Math.round(x.wallMs)), sabre: sabreRuns.map((x) => Math.round(x.wallMs)),
    },
    windowsFired: sabreRuns[0]?.results,
    // Where the time goes (median over runs): the main thread runs kafkajs and, in Sabre, the source (value scan, key hash, frame write).
    mainBusyUsPerRecord: {
      ceiling: median(ceilingRuns.map((x) => x.mainBusyUsPerRecord)), sameDecoder: median(sameDecoderRuns.map((x) => x.mainBusyUsPerRecord)),
      json: median(jsonRuns.map((x) => x.mainBusyUsPerRecord)), sabre: median(sabreRuns.map((x) => x.mainBusyUsPerRecord)),
    },
    cpuUsPerRecord: {
      ceiling: median(ceilingRuns.map((x) => x.cpuUsPerRecord)), sameDecoder: median(sameDecoderRuns.map((x) => x.cpuUsPerRecord)),
      json: median(jsonRuns.map((x) => x.cpuUsPerRecord)), sabre: median(sabreRuns.map((x) => x.cpuUsPerRecord)),
    },
    ratioVsCeiling: sabreStats.median / ceilingStats.median,
    ratioVsSameDecoder: sabreStats.median / sameDecoderStats.median,
    pairRatiosVsSameDecoder: perRound(sameDecoderRuns),
    ratio: sabreStats.median / jsonStats.median, // vs the JSON-parsing consumer
    pairRatiosVsCeiling: perRound(ceilingRuns),
    pairRatiosVsJson: perRound(jsonRuns),
    target: 0.95,
    targetBaseline: 'ceiling',
  });
} finally {
  b.stop();
}
