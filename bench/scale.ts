// npm run bench:scale — scale-out through Kafka (issue 16, --changelog): three
// figures of `sabre run` processes as members of one consumer group.
//   1. throughput of 1, 2, 3 members started together on a pre-filled
//      12-partition topic, timed from the spawn until the group committed every
//      partition to its end; next to 1 process without --changelog (plain
//      checkpoints, the same transactional Kafka sink) in the same rounds.
//      CPU: utime + stime of every member process from /proc/PID/stat (every
//      thread of it: main, workers, GC), read the moment the group is done.
//   2. restore time against state size: one member builds K keys of open 1 h
//      windows and stops with a savepoint (SIGTERM); a fresh member (empty
//      checkpoint dir, same group) restores them from the changelog. Figures
//      from its `[sabre] member of ...: ... restored ...` stderr line.
//   3. the pause a rebalance causes: a producer at a steady rate, one member
//      running, a second one joins; the first member's /api/stats sampled
//      every 50 ms: the longest stretch its records-processed counter stood
//      still, its queue-stage latency and the end-to-end latency of the
//      results (read_committed) before and after. The rate starts at --rate
//      and halves until the machine sustains it (SUSTAINED_LAG_SECONDS).
// A run in which a member exits with an error is recorded (failedRuns) and
// run again, up to 3 attempts: a lost member is a finding, not a figure.
// Flags: --count --keys --rounds --max-members --rate --warm-seconds
// --after-seconds, --restore-keys 10000,100000,1000000, --figures
// throughput,restore,rebalance (a subset is written as a smoke result).
// Needs a running broker: KAFKA_BROKERS, else 127.0.0.1:9092 (npm run kafka:up
// starts one). The bench does not start or stop it. Topics it creates are
// deleted at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { produceCommand } from '../src/cli/produce-command.js';
import { createAdmin, createConsumer, createKafka, createProducer, ensureTopic, type Message } from '../src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../src/io/kafka/sink/send-retry.js';
import { changelogTopicOf } from '../src/options/changelog.js';
import { numArgs, percentile, progress, report, stats } from './bench-util.js';

const TOPIC_PARTITIONS = 12;
/** Clock ticks per second of /proc/PID/stat (CLK_TCK: 100 on Linux for every arch Node runs on). */
const CLK_TCK = 100;
/** How often the rebalance figure samples the first member's /api/stats. */
const SAMPLE_MS = 50;
const NO_IDLE = '1000000000h';
/**
 * A rate the machine sustains: the producer keeps to it (≥ 90%) and the member, alone for --warm-seconds, is
 * at most this far behind the topic's end when the second joins. Above it the member (or the producer) falls
 * behind and the latency only grows with the backlog: the pause of a rebalance would not show in it.
 */
const SUSTAINED_LAG_SECONDS = 1;
/** The rebalance figure halves the rate from --rate until it is sustained, not below this. */
const MIN_RATE = 5000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url)); // dist/bench/ → the checkout

const argv = process.argv.slice(2);
const restoreAt = argv.indexOf('--restore-keys');
const restoreKeys = restoreAt >= 0 ? argv.splice(restoreAt, 2)[1]!.split(',').map(Number) : [10_000, 100_000, 1_000_000];
const figuresAt = argv.indexOf('--figures');
/** --figures throughput,restore,rebalance (default all): which figures to measure. */
const figures = new Set(figuresAt >= 0 ? argv.splice(figuresAt, 2)[1]!.split(',') : ['throughput', 'restore', 'rebalance']);
const a = numArgs({ count: 1_000_000, keys: 10_000, rounds: 2, maxMembers: 3, rate: 100_000, warmSeconds: 8, afterSeconds: 12 }, argv,
  'npm run bench:scale [-- flags]: throughput of 1..--max-members members of a --changelog job against one plain process, restore time '
  + 'against state size, and the pause a rebalance causes (docs/BENCHMARKS.md, Scale-out). Needs a broker: KAFKA_BROKERS, default '
  + '127.0.0.1:9092 (npm run kafka:up).\n  --figures throughput,restore,rebalance   which figures (default all)\n'
  + '  --restore-keys 10000,100000,1000000       state sizes of the restore figure');
const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const run = Date.now().toString(36);
const made: string[] = [];
const dirs: string[] = [];

// ── processes ───────────────────────────────────────────────────────────────

interface Proc { child: ChildProcess; stderr: () => string; exit: Promise<number | null>; port?: number }

function sabre(args: string[]): Proc {
  const child = spawn(process.execPath, [join(ROOT, 'bin/sabre.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stderr: () => err, exit };
}

async function stop(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  const code = await p.exit;
  if (code !== 0) throw new Error(`a sabre process exited ${code}:\n${p.stderr().slice(-3000)}`);
}

/** CPU seconds (user + system, every thread) of a running process. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on: utime is the 14th, stime the 15th
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sabre-bench-scale-'));
  dirs.push(d);
  return d;
}

/** `sabre run` as one member of `group` (changelog on unless told), reading `topic`, writing `out` transactionally. */
async function member(topic: string, out: string, group: string, o: { changelog?: boolean; window?: string; http?: boolean } = {}): Promise<Proc> {
  const port = o.http ? await freePort() : 0;
  const p = sabre(['run', '--source', `kafka:${topic}`, '--brokers', brokers, '--group', group, '--partitions', String(TOPIC_PARTITIONS),
    '--workers', '1', '--window', o.window ?? 'tumbling:1s', '--agg', 'count,sum,min,max', '--out-of-orderness', '200ms',
    '--idle-timeout', NO_IDLE, '--sink', `kafka:${out}`, '--late-output', 'null', '--dead-letter', 'null', '--checkpoint-interval', '1s',
    '--checkpoint-dir', tmp(), '--progress', '0', '--http-port', String(port), '--http-host', '127.0.0.1',
    ...(o.changelog === false ? [] : ['--changelog', 'auto'])]);
  if (o.http) p.port = port;
  return p;
}

// ── Kafka ───────────────────────────────────────────────────────────────────

const kafka = createKafka(brokers, 'sabre-bench-scale');
const admin = createAdmin(kafka);

async function topic(prefix: string): Promise<string> {
  const t = `bench-scale-${prefix}-${run}`;
  await ensureTopic(admin, t, TOPIC_PARTITIONS);
  made.push(t);
  return t;
}

function groupName(prefix: string): string {
  const g = `bench-scale-${prefix}-${run}`;
  made.push(changelogTopicOf(g));
  return g;
}

/** True once `group` committed every partition of `topic` to its end. */
async function drained(group: string, t: string): Promise<boolean> {
  const [c] = await admin.fetchOffsets({ groupId: group, topics: [t] });
  const committed = new Map(c!.partitions.map((p) => [p.partition, Number(p.offset)]));
  const ends = await admin.fetchTopicOffsets(t);
  return ends.every((p) => (committed.get(p.partition) ?? -1) >= Number(p.high));
}

async function until(cond: () => Promise<boolean>, what: string, procs: Proc[], timeoutMs = 240_000, everyMs = 100): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`${what}: a member exited ${p.child.exitCode}:\n${p.stderr().slice(-3000)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

async function endOffsets(t: string): Promise<number> {
  return (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high), 0);
}

// ── failed runs ─────────────────────────────────────────────────────────────

/** Runs that failed because a member process exited with an error, retried (kept in the result: they are findings). */
const failures: { run: string; error: string }[] = [];
const ATTEMPTS = 3;

async function retrying<T>(run: string, f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const text = String((e as Error).message ?? e);
      if (!text.includes('a member exited') || attempt >= ATTEMPTS) throw e;
      const cause = text.split('\n').filter((l) => l.startsWith('sabre: ')).pop() ?? text.split('\n')[0]!;
      failures.push({ run, error: cause });
      progress(`[bench:scale] ${run}: a member failed (${cause.slice(0, 160)}); run again`);
    }
  }
}

// ── 1. throughput of 1…maxMembers members ───────────────────────────────────

interface Throughput { recordsPerSec: number; wallMs: number; cpuUsPerRecord: number }

async function drainWith(input: string, members: number, changelog: boolean, tag: string): Promise<Throughput> {
  const group = groupName(tag);
  const out = await topic(`${tag}-out`);
  const t0 = performance.now();
  const procs = await Promise.all(Array.from({ length: members }, () => member(input, out, group, { changelog })));
  try {
    await until(() => drained(group, input), `${tag}: the group to commit every partition`, procs);
  } catch (e) {
    for (const p of procs) p.child.kill('SIGKILL');
    throw e;
  }
  const wallMs = performance.now() - t0;
  const cpu = procs.reduce((s, p) => s + cpuSeconds(p.child.pid!), 0);
  await Promise.all(procs.map(stop));
  return { recordsPerSec: a.count / (wallMs / 1000), wallMs, cpuUsPerRecord: (cpu * 1e6) / a.count };
}

async function throughput(): Promise<Record<string, unknown>> {
  const input = await topic('in');
  progress(`[bench:scale] producing ${a.count} records (${a.keys} keys) to ${input}`);
  const t0 = performance.now();
  if (await produceCommand({ brokers, count: a.count, keys: a.keys, progress: 0 }, input) !== 0) throw new Error('produce failed');
  const produceSecs = (performance.now() - t0) / 1000;
  const configs = [{ name: 'plain', members: 1, changelog: false },
    ...Array.from({ length: a.maxMembers }, (_, i) => ({ name: `members${i + 1}`, members: i + 1, changelog: true }))];
  const runs = new Map<string, Throughput[]>(configs.map((c) => [c.name, []]));
  for (let r = 1; r <= a.rounds; r++) {
    for (const c of configs) {
      progress(`[bench:scale] throughput round ${r}/${a.rounds}: ${c.members} member(s)${c.changelog ? ', --changelog' : ', no changelog'}`);
      runs.get(c.name)!.push(await retrying(`${c.name} round ${r}`, () => drainWith(input, c.members, c.changelog, `${c.name}-${r}-${failures.length}`)));
    }
  }
  return {
    produce: { records: a.count, keys: a.keys, recordsPerSec: a.count / produceSecs },
    configs: Object.fromEntries(configs.map((c) => {
      const xs = runs.get(c.name)!;
      return [c.name, {
        members: c.members, changelog: c.changelog,
        recordsPerSec: stats(xs.map((x) => x.recordsPerSec)), cpuUsPerRecord: stats(xs.map((x) => x.cpuUsPerRecord)),
        wallMs: xs.map((x) => Math.round(x.wallMs)),
      }];
    })),
  };
}

// ── 2. restore time against state size ──────────────────────────────────────

/** `keys` records with distinct keys, event times inside one hour: each stays an open window of --window tumbling:1h. */
async function produceDistinct(t: string, keys: number): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  const base = Date.UTC(2026, 0, 1);
  const batch = 2000;
  const inFlight = 4;
  try {
    for (let i = 0; i < keys;) {
      const sends: Promise<void>[] = [];
      for (let s = 0; s < inFlight && i < keys; s++) {
        const messages: Message[] = [];
        for (const end = Math.min(keys, i + batch); i < end; i++) {
          const key = `k${i}`;
          messages.push({ key, value: `{"key":"${key}","ts":${base + (i % 1_000_000)},"value":${i % 1000}}` });
        }
        sends.push(sendUntilAcked(producer, t, messages, () => {}));
      }
      await Promise.all(sends);
    }
  } finally {
    await producer.disconnect();
  }
}

const RESTORED = /assignment (\d+), partitions \[([\d,]*)\] restored from \S+: (\d+) with state, (\d+) bytes in (\d+) ms/g;

async function restoreOf(keys: number): Promise<Record<string, unknown>> {
  const tag = `state${keys}-${failures.length}`;
  const input = await topic(tag);
  const out = await topic(`${tag}-out`);
  const group = groupName(tag);
  progress(`[bench:scale] restore: producing ${keys} distinct keys`);
  await produceDistinct(input, keys);
  progress(`[bench:scale] restore: one member builds the state of ${keys} keys, then stops with a savepoint`);
  const builder = await member(input, out, group, { window: 'tumbling:1h' });
  await until(() => drained(group, input), `restore ${keys}: the builder to commit every partition`, [builder]);
  const tStop = performance.now();
  await stop(builder);
  const savepointMs = performance.now() - tStop;
  progress(`[bench:scale] restore: a fresh member restores ${keys} keys`);
  const fresh = await member(input, out, group, { window: 'tumbling:1h' });
  const tStart = performance.now();
  let line: RegExpExecArray | null = null;
  await until(async () => {
    // The first assignment holding every partition (a member alone in the group gets them all).
    for (const m of fresh.stderr().matchAll(RESTORED)) if (m[2]!.split(',').length === TOPIC_PARTITIONS) line = m;
    return line !== null;
  }, `restore ${keys}: the fresh member's restore line`, [fresh], 180_000, 50);
  const spawnToRestoredMs = performance.now() - tStart;
  await stop(fresh);
  const m = line! as RegExpExecArray;
  const withState = Number(m[3]);
  const bytes = Number(m[4]);
  const ms = Number(m[5]);
  return {
    keys, partitions: TOPIC_PARTITIONS, withState, bytes, bytesPerPartition: bytes / Math.max(1, withState),
    restoreMs: ms, restoreMsPerPartition: ms / TOPIC_PARTITIONS, savepointStopMs: Math.round(savepointMs),
    spawnToRestoredMs: Math.round(spawnToRestoredMs),
  };
}

// ── 3. the pause of a rebalance ─────────────────────────────────────────────

interface Sample { t: number; recordsIn: number; processed: number; queueP99: number; emitP99: number }

async function sample(port: number): Promise<Sample | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/stats`, { signal: AbortSignal.timeout(1000) });
    const s = await r.json() as {
      time: number; totals: { recordsIn: number; recordsProcessed: number };
      latency: { stages: Record<string, { interval: { p99: number } }> };
    };
    return {
      t: Date.now(), recordsIn: s.totals.recordsIn, processed: s.totals.recordsProcessed, queueP99: s.latency.stages.queue!.interval.p99,
      emitP99: s.latency.stages.emit!.interval.p99,
    };
  } catch {
    return undefined; // not listening yet, or busy past the timeout: a missing sample, not a figure
  }
}

/**
 * End to end: a read_committed consumer of the results; each result's latency is the wall time it became
 * readable minus its window's end (event time is the producer's intended send time under --rate). So it holds
 * the out-of-orderness bound, the checkpoint interval (results commit with checkpoints) and any pause.
 */
async function resultLatencies(out: string): Promise<{ arrivals: { t: number; latencyMs: number }[]; stop: () => Promise<void> }> {
  const consumer = createConsumer(kafka, { groupId: `bench-scale-reader-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic: out, fromBeginning: true });
  const arrivals: { t: number; latencyMs: number }[] = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const t = Date.now();
      for (const m of batch.messages) {
        const end = /"end":(\d+)/.exec(m.value?.toString() ?? '');
        if (end) arrivals.push({ t, latencyMs: t - Number(end[1]) });
      }
    },
  });
  return { arrivals, stop: () => consumer.disconnect() };
}

async function rebalance(rate: number): Promise<Record<string, unknown>> {
  const tag = `live${rate}-${failures.length}`;
  const input = await topic(tag);
  const out = await topic(`${tag}-out`);
  const group = groupName(tag);
  progress(`[bench:scale] rebalance: producing at ${rate} rec/s, one member`);
  const producer = sabre(['produce', input, '--brokers', brokers, '--rate', String(rate), '--count', '0', '--keys', String(a.keys), '--progress', '0']);
  const first = await member(input, out, group, { http: true });
  const e2e = await resultLatencies(out);
  let second: Proc | undefined;
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await sample(first.port!);
      if (s) samples.push(s);
      await sleep(SAMPLE_MS);
    }
  })();
  try {
    await until(async () => first.stderr().includes('restored from'), 'rebalance: the first member to restore', [first], 60_000);
    await sleep(a.warmSeconds * 1000);
    const producedAtJoin = await endOffsets(input);
    const joinAt = Date.now();
    // Records the first member had not read yet when the second joined (it reads from the start, alone until now).
    const lagAtJoin = producedAtJoin - (samples.at(-1)?.recordsIn ?? 0);
    progress('[bench:scale] rebalance: a second member joins');
    second = await member(input, out, group);
    const joined = second;
    // Both restored their share of the new assignment, then the steady state after it.
    await until(async () => [...first.stderr().matchAll(RESTORED)].length >= 2 && joined.stderr().includes('restored from'),
      'rebalance: both members to restore after the join', [first, joined], 120_000, 50);
    const restoredAt = Date.now();
    await sleep(a.afterSeconds * 1000);
    const producedAtEnd = await endOffsets(input);
    const endAt = Date.now();
    sampling = false;
    await sampler;
    const restores = [...first.stderr().matchAll(RESTORED)].map((m) => ({ assignment: Number(m[1]), partitions: m[2]!.split(',').length, ms: Number(m[5]), bytes: Number(m[4]) }));
    await stop(joined);
    second = undefined;
    await e2e.stop();
    // The steady rate the broker took, over the measured part.
    const achievedRate = (producedAtEnd - producedAtJoin) / ((endAt - joinAt) / 1000);
    // The longest stretch without a processed record after the join: last advancing sample → next advancing sample.
    let gapMs = 0;
    let gapFrom = joinAt;
    for (let i = 1; i < samples.length; i++) {
      if (samples[i]!.t < joinAt) continue;
      if (samples[i]!.processed > samples[i - 1]!.processed) {
        let j = i - 1;
        while (j > 0 && samples[j - 1]!.processed === samples[j]!.processed) j--;
        const gap = samples[i]!.t - samples[j]!.t;
        if (gap > gapMs) { gapMs = gap; gapFrom = samples[j]!.t; }
      }
    }
    const gapTo = gapFrom + gapMs;
    const window = (from: number, to: number, f: (s: Sample) => number): number[] =>
      samples.filter((s) => s.t >= from && s.t < to).map(f).sort((x, y) => x - y);
    const before = { from: joinAt - a.warmSeconds * 500, to: joinAt };
    const after = { from: gapTo, to: gapTo + 5000 };
    const e2eIn = (from: number, to: number): number[] =>
      e2e.arrivals.filter((x) => x.t >= from && x.t < to).map((x) => x.latencyMs).sort((x, y) => x - y);
    function endToEndOf(from: number, to: number) {
      const xs = e2eIn(from, to);
      return { results: xs.length, p50Ms: percentile(xs, 0.5), p99Ms: percentile(xs, 0.99), maxMs: percentile(xs, 1) };
    }
    const beforeE2e = endToEndOf(joinAt - a.warmSeconds * 500, joinAt);
    const sustained = achievedRate >= 0.9 * rate && lagAtJoin <= rate * SUSTAINED_LAG_SECONDS;
    const summary = (w: { from: number; to: number }) => ({
      // interval p99s are per metrics interval: the worst interval in the window, and the median one
      queueP99UsWorst: percentile(window(w.from, w.to, (s) => s.queueP99), 1),
      queueP99UsMedian: percentile(window(w.from, w.to, (s) => s.queueP99), 0.5),
      emitP99UsWorst: percentile(window(w.from, w.to, (s) => s.emitP99), 1),
    });
    return {
      offeredRate: rate, achievedRate, lagAtJoin, samples: samples.length, sampleEveryMs: SAMPLE_MS,
      gapMs, gapStartsAfterJoinMs: gapFrom - joinAt, joinToBothRestoredMs: restoredAt - joinAt,
      sustained, endToEnd: { before: beforeE2e, afterJoin: endToEndOf(joinAt, endAt) },
      before: summary(before), after: summary(after), firstMemberRestores: restores,
    };
  } finally {
    sampling = false;
    await e2e.stop().catch(() => {});
    producer.child.kill('SIGTERM');
    await producer.exit;
    second?.child.kill('SIGKILL');
    first.child.kill('SIGKILL');
    await first.exit;
  }
}

/** The short table on stderr. */
function table(note: string, tp: Record<string, unknown> | undefined, restore: Record<string, unknown>[], attempts: Record<string, unknown>[]): void {
  const say = (line: string) => process.stderr.write(line + '\n');
  say(`\n[bench:scale] ${note}`);
  if (tp) {
    say(`  throughput (median of ${a.rounds}, ${a.count} records, ${TOPIC_PARTITIONS} partitions, spawn → group committed to the end)`);
    for (const [k, v] of Object.entries(tp.configs as Record<string, { recordsPerSec: { median: number }; cpuUsPerRecord: { median: number } }>)) {
      say(`    ${k.padEnd(9)} ${(v.recordsPerSec.median / 1000).toFixed(1).padStart(7)}k rec/s  ${v.cpuUsPerRecord.median.toFixed(2)} µs CPU/record`);
    }
  }
  if (restore.length > 0) say(`  restore (fresh member, all ${TOPIC_PARTITIONS} partitions)`);
  for (const r of restore as { keys: number; bytes: number; bytesPerPartition: number; restoreMs: number; restoreMsPerPartition: number }[]) {
    say(`    ${String(r.keys).padStart(8)} keys  ${(r.bytes / 1e6).toFixed(2)} MB (${(r.bytesPerPartition / 1e3).toFixed(0)} kB/partition)  `
      + `${r.restoreMs} ms (${r.restoreMsPerPartition.toFixed(1)} ms/partition)`);
  }
  for (const rb of attempts) {
    const e = rb.endToEnd as Record<string, { p50Ms: number; p99Ms: number }>;
    say(`  rebalance at ${Math.round(rb.achievedRate as number)} rec/s (offered ${rb.offeredRate as number}, ${rb.sustained ? 'sustained' : 'NOT sustained'}): `
      + `first member processed nothing for ${rb.gapMs as number} ms; end-to-end p50/p99 ${e.before!.p50Ms}/${e.before!.p99Ms} ms before the join, `
      + `${e.afterJoin!.p50Ms}/${e.afterJoin!.p99Ms} ms after`);
  }
}

// ── main ────────────────────────────────────────────────────────────────────

await admin.connect().catch((e: unknown) => {
  throw new Error(`no Kafka broker at ${brokers} (KAFKA_BROKERS; npm run kafka:up starts the local one): ${String(e)}`);
});
const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;
const t0 = performance.now();
try {
  const tp = figures.has('throughput') ? await throughput() : undefined;
  const restore = [];
  if (figures.has('restore')) for (const k of restoreKeys) restore.push(await retrying(`restore ${k}`, () => restoreOf(k)));
  const attempts: Record<string, unknown>[] = [];
  if (figures.has('rebalance')) {
    // From --rate down, halving, until the machine keeps up (sustained): the first such run is the figure.
    for (let rate = a.rate; ; rate = Math.round(rate / 2)) {
      const r = await retrying(`rebalance at ${rate}`, () => rebalance(rate));
      attempts.push(r);
      if (r.sustained || rate / 2 < MIN_RATE) break;
    }
  }
  const rb = attempts.at(-1);
  const note = 'this machine has 2 cores shared by the broker and every member: 2 and 3 members show the overhead of membership, not scaling';
  table(note, tp, restore, attempts);
  report('scale', {
    // A run of some figures only is not a full result: bench-report skips smoke results.
    ...(figures.size < 3 ? { smoke: true, figures: [...figures] } : {}),
    note, brokers, loadAvgAtStart, repeat: a.rounds, warmSeconds: a.warmSeconds, afterSeconds: a.afterSeconds, wallSeconds: (performance.now() - t0) / 1000,
    job: { topicPartitions: TOPIC_PARTITIONS, window: 'tumbling:1s', aggregates: 4, partitionsPerMember: TOPIC_PARTITIONS, workers: 1,
      sink: 'kafka (transactional)', checkpointInterval: '1s' },
    cpuFrom: '/proc/PID/stat utime + stime of every member process, every thread, at the moment the group was done',
    throughput: tp,
    restore,
    rebalance: rb,
    failedRuns: failures,
    rebalanceAttempts: attempts.map((x) => ({ offeredRate: x.offeredRate, achievedRate: x.achievedRate, lagAtJoin: x.lagAtJoin, sustained: x.sustained,
      gapMs: x.gapMs, endToEnd: x.endToEnd })),
  });
} finally {
  const exist = new Set(await admin.listTopics().catch(() => [] as string[]));
  await admin.deleteTopics({ topics: made.filter((t) => exist.has(t)), timeout: 30_000 }).catch(() => {});
  await admin.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
