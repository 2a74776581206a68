// The shipped example jobs (jobs/card-fraud.ts, jobs/market-bars.ts) reading
// Kafka and writing Kafka: `sabre produce --generator card-txns|market` writes
// the golden test's record sequence (test/integration/jobs/example-jobs-golden.test.ts)
// to a fresh topic of 8 partitions, keyed by card or symbol; the job reads it
// (the source's watermark is the minimum over its Kafka partitions, not the
// generator's single stream) and writes its alerts and its named sink to two
// topics. Once the group committed the end of every partition, SIGTERM drains
// the run (every open window and timer fires). Both topics must hold exactly
// the golden files' lines: the examples' rules check event times themselves,
// so when their timers fire does not change what they emit.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeJobRecord } from '../../dist/src/io/kafka/sink/job-record-codec.js';
import { tmpDir } from '../helpers/engine-run.js';
import { expect, it } from 'vitest';
import { runSabre, startSabre } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, drained, readIsolated, unique, until, type TopicMessage } from '../helpers/kafka-env.js';

interface Example {
  job: string;
  kind: 'card-txns' | 'market';
  /** The field the job keys by: every output message must be keyed by it. */
  key: string;
  named: string;
  /** As EXAMPLES in example-jobs-golden.test.ts. */
  gen: string[];
}

const EXAMPLES: Example[] = [
  { job: 'card-fraud', kind: 'card-txns', key: 'card', named: 'features', gen: ['--count', '20000', '--keys', '200', '--events-per-ms', '0.1', '--seed', '7'] },
  { job: 'market-bars', kind: 'market', key: 'symbol', named: 'bars', gen: ['--count', '20000', '--keys', '20', '--events-per-ms', '0.2', '--seed', '7'] },
];

const golden = (name: string): string[] => readFileSync(resolve('test/golden/jobs', name), 'utf8').split('\n').filter(Boolean).sort();

/** Every message's value as text, sorted; every message keyed by its output's `key` field. */
function valuesKeyedBy(messages: TopicMessage[], key: string): string[] {
  expect(messages.filter((m) => m.key !== String((JSON.parse(m.value.toString()) as Record<string, unknown>)[key]))).toEqual([]);
  return messages.map((m) => m.value.toString()).sort();
}

describeKafka('example jobs on Kafka', () => {
  it.each(EXAMPLES)('$job: produced to 8 partitions, read and written through Kafka = the golden files', async (e) => {
    const input = unique(`${e.job}-in`);
    const alerts = unique(`${e.job}-alerts`);
    const named = unique(`${e.job}-${e.named}`);
    const group = unique(e.job);
    const produced = await runSabre(['produce', input, '--generator', e.kind, ...e.gen, '--brokers', brokers, '--progress', '0']);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toMatch(/8 partitions/);

    const run = startSabre(['run', '--job', `jobs/${e.job}.ts`, '--source', `kafka:${input}`, '--brokers', brokers, '--group', group,
      '--sink', `kafka:${alerts}`, '--sinks', `${e.named}=kafka:${named}`, '--partitions', '4', '--workers', '2',
      '--idle-timeout', NO_IDLE, '--http-port', '0', '--progress', '0']);
    await until(() => drained(group, input).catch(() => false), 'the run to commit the end of every partition', 90_000, 200);
    run.child.kill('SIGTERM');
    const exit = await run.exit;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toMatch(/done in [\d.]+s: 20,000 records/);

    expect(valuesKeyedBy(await readIsolated(alerts, 'read_committed'), e.key)).toEqual(golden(`${e.job}.alerts.ndjson`));
    expect(valuesKeyedBy(await readIsolated(named, 'read_committed'), e.key)).toEqual(golden(`${e.job}.${e.named}.ndjson`));
  }, 180_000);
});

/**
 * A golden line as --format flatbuffers writes it (src/io/kafka/sink/job-record-codec.ts):
 * the key, the event time (a window's start, or the record or timer time a
 * process function emitted at: the sequence rule's `at`), and the fields as attributes.
 */
function asRecord(line: string, key: string): unknown {
  const o = JSON.parse(line) as Record<string, unknown>;
  const attributes = Object.fromEntries(Object.entries(o).map(([k, v]) => [k,
    typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? v : JSON.stringify(v)]));
  const eventTime = o.rule === 'declines-then-approval' ? o.at : o.start;
  return { key: String(o[key]), eventTime, attributes };
}

const canonical = (r: unknown): string => JSON.stringify(r);

describeKafka('example jobs writing Kafka with --format flatbuffers', () => {
  // Plain sinks, and with checkpoints: the default sink transactional, the named one a lane of its transactions.
  it.each([{ mode: 'plain', extra: [] as string[] }, { mode: 'transactional', extra: ['--checkpoint-dir', 'CP', '--checkpoint-interval', '500ms'] }])(
    'card-fraud from a file, $mode: both topics hold sabre.fb.Records = the golden lines (key, event time, fields as attributes)', async ({ extra }) => {
      const e = EXAMPLES[0]!;
      const dir = tmpDir();
      const records = join(dir, 'records.ndjson');
      writeFileSync(records, execFileSync(process.execPath, ['bin/sabre.js', 'generate', '--generator', e.kind, ...e.gen], { maxBuffer: 1 << 28 }));
      const alerts = unique('fb-alerts');
      const named = unique('fb-features');
      const r = await runSabre(['run', '--job', `jobs/${e.job}.ts`, '--source', `file:${records}`, '--format', 'flatbuffers', '--brokers', brokers,
        '--sink', `kafka:${alerts}`, '--sinks', `${e.named}=kafka:${named}`, '--partitions', '4', '--workers', '2',
        '--idle-timeout', '1h', '--http-port', '0', '--progress', '0', ...extra.map((x) => (x === 'CP' ? join(dir, 'cp') : x))]);
      expect(r.code, r.stderr).toBe(0);
      const decoded = async (topic: string): Promise<string[]> => (await readIsolated(topic, 'read_committed')).map((m) => {
        const rec = decodeJobRecord(m.value);
        expect(rec.key).toBe(m.key);
        expect(rec.value).toBeNaN();
        return canonical({ key: rec.key, eventTime: rec.eventTime, attributes: rec.attributes });
      }).sort();
      const expected = (name: string): string[] => golden(name).map((l) => canonical(asRecord(l, e.key))).sort();
      expect(await decoded(alerts)).toEqual(expected(`${e.job}.alerts.ndjson`));
      expect(await decoded(named)).toEqual(expected(`${e.job}.${e.named}.ndjson`));
    }, 120_000);
});
