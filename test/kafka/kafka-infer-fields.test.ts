// A job reading Kafka whose source declares no fields: `sabre run` reads the
// topic's first records (a throwaway group that commits nothing), infers the
// fields, and computes what the same job with declared fields computes. A
// topic that does not exist cannot be sampled: ERR_INVALID_JOB.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { tmpDir } from '../helpers/engine-run.js';
import { runSabre, startSabre } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, drained, unique, until } from '../helpers/kafka-env.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
const RECORDS = 3000;

function writeJob(dir: string, name: string, topic: string, fields: string | undefined): string {
  const path = join(dir, name);
  writeFileSync(path, `import { job, kafka, tumbling, count, sum } from ${JSON.stringify(SABRE)};
export default job({ source: kafka(${JSON.stringify(topic)}, { time: 'at'${fields ? `, fields: ${fields}` : ''} }) })
  .keyBy('card').window(tumbling('1s')).aggregate({ n: count(), total: sum('amount') });
`);
  return path;
}

/** Run `job` over `topic` until its group committed every partition's end, then drain it; its output lines, sorted, and its stderr. */
async function runToEnd(job: string, topic: string, out: string): Promise<{ lines: string[]; stderr: string }> {
  const group = unique('infer');
  const run = startSabre(['run', '--job', job, '--brokers', brokers, '--group', group, '--sink', `file:${out}`,
    '--partitions', '4', '--workers', '2', '--idle-timeout', NO_IDLE, '--http-port', '0', '--progress', '0']);
  await until(() => drained(group, topic).catch(() => false), 'the run to commit the end of every partition', 90_000, 200);
  run.child.kill('SIGTERM');
  const exit = await run.exit;
  expect(exit.code, exit.stderr).toBe(0);
  return { lines: readFileSync(out, 'utf8').split('\n').filter(Boolean).sort(), stderr: exit.stderr };
}

describeKafka('fields inferred from a Kafka topic', () => {
  it('samples the topic\'s first records and computes what the job with declared fields computes', async () => {
    const dir = tmpDir();
    const topic = unique('infer-in');
    const produced = await runSabre(['produce', topic, '--generator', 'card-txns', '--count', String(RECORDS), '--keys', '50',
      '--events-per-ms', '0.5', '--seed', '3', '--brokers', brokers, '--progress', '0']);
    expect(produced.code, produced.stderr).toBe(0);

    const inferred = await runToEnd(writeJob(dir, 'inferred.mjs', topic, undefined), topic, join(dir, 'inferred.ndjson'));
    expect(inferred.stderr).toContain(`[sabre] fields inferred from the first 1000 records of kafka:${topic}: `
      + 'card: string, merchant: string, amount: number, status: string, at: time');
    const declared = await runToEnd(writeJob(dir, 'declared.mjs', topic, "{ card: 'string', amount: 'number', at: 'time' }"), topic,
      join(dir, 'declared.ndjson'));
    expect(inferred.lines.length).toBeGreaterThan(50);
    expect(inferred.lines).toEqual(declared.lines);
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('a topic that does not exist: ERR_INVALID_JOB naming the job and the topic', async () => {
    const dir = tmpDir();
    const topic = unique('infer-missing');
    const job = writeJob(dir, 'missing.mjs', topic, undefined);
    const r = await runSabre(['run', '--job', job, '--brokers', brokers, '--http-port', '0', '--progress', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ERR_INVALID_JOB: ${job}: cannot infer the job's fields: topic ${topic} does not exist at ${brokers}`);
  }, 60_000);
});
