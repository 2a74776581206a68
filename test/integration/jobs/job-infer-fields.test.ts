// A job whose source declares no fields: `sabre run` infers them from the
// first records of the file (or stdin) it reads, says so on stderr, runs the
// job as if they had been declared (the same outputs: stdin's sampled lines
// are read again), and dead-letters a record that does not fit them. A source
// that cannot be read ahead (http) and samples without the fields a job names
// fail with ERR_INVALID_JOB.
// Runs the built CLI (build first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';
import { runSabre, startSabre, waitFor } from '../../helpers/sabre-process.js';
import { INFER_SAMPLE } from '../../../dist/src/job/infer-fields.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
const COMMON = ['--http-port', '0', '--progress', '0', '--workers', '2', '--partitions', '4'];
const T0 = 1_700_000_000_000;
const N = 5000;

let dir: string;
let input: string;

/** A job over `input` keyed by card: per 1 s, count and total amount; `fields` is the source's declaration, or none. */
function writeJob(name: string, fields: string | undefined, key = 'card'): string {
  const path = join(dir, name);
  writeFileSync(path, `import { job, file, tumbling, count, sum, max, toStdout } from ${JSON.stringify(SABRE)};
export default job({ source: file(${JSON.stringify(input)}, { time: 'at'${fields ? `, fields: ${fields}` : ''} }), sink: toStdout() })
  .filter((t) => t.status !== 'test')
  .keyBy(${JSON.stringify(key)})
  .window(tumbling('1s'))
  .aggregate({ n: count(), total: sum('amount'), big: max((t) => t.amount * (t.vip ? 2 : 1)) });
`);
  return path;
}

const lines = (text: string): string[] => text.split('\n').filter(Boolean).sort();

beforeAll(() => {
  dir = tmpDir();
  input = join(dir, 'txns.ndjson');
  const recs: string[] = [];
  for (let i = 0; i < N; i++) {
    recs.push(JSON.stringify({
      card: `c${i % 13}`, amount: (i * 7) % 100, status: i % 50 === 0 ? 'test' : 'ok', vip: i % 3 === 0, at: T0 + i,
      ...(i % 4 === 0 ? { note: 'n' } : {}),
      // A field that first appears after the sample: not inferred.
      ...(i >= INFER_SAMPLE + 10 ? { late: 'x' } : {}),
    }));
  }
  // One record whose amount does not fit the inferred type.
  recs.splice(2000, 0, JSON.stringify({ card: 'c1', amount: 'lots', status: 'ok', vip: false, at: T0 + 2000 }));
  writeFileSync(input, recs.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sabre run --job with a source that declares no fields', () => {
  it('infers them from the file\'s first records, says which, and computes what the declared job computes; a record that does not fit is dead-lettered', async () => {
    const dead = join(dir, 'dead.ndjson');
    const outInferred = join(dir, 'inferred.out');
    const outDeclared = join(dir, 'declared.out');
    const inferred = await runSabre(['run', '--job', writeJob('inferred.mjs', undefined), ...COMMON, '--dead-letter', `file:${dead}`, '--sink', `file:${outInferred}`]);
    expect(inferred.code, inferred.stderr).toBe(0);
    expect(inferred.stderr).toContain(`[sabre] fields inferred from the first ${INFER_SAMPLE} records of file:${input}: `
      + 'card: string, amount: number, status: string, vip: boolean, at: time, note: string? (declare them in the job\'s source to fix them)');
    const declared = await runSabre(['run', '--job', writeJob('declared.mjs', "{ card: 'string', amount: 'number', status: 'string', vip: 'boolean', at: 'time' }"),
      ...COMMON, '--dead-letter', 'null', '--sink', `file:${outDeclared}`]);
    expect(declared.code, declared.stderr).toBe(0);
    expect(declared.stderr).not.toContain('inferred');
    const out = lines(readFileSync(outInferred, 'utf8'));
    expect(out.length).toBe(13 * 5);
    expect(out).toEqual(lines(readFileSync(outDeclared, 'utf8')));
    const bad = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason: string; detail: string });
    expect(bad).toEqual([expect.objectContaining({ reason: 'bad-field', detail: 'field "amount" must be a finite number, got the string "lots"' })]);
  });

  it('a field the sample does not have cannot be keyed by: ERR_INVALID_JOB naming the job\'s line and the inferred fields', async () => {
    const r = await runSabre(['run', '--job', writeJob('late-key.mjs', undefined, 'late'), ...COMMON]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_INVALID_JOB: .*late-key\.mjs:4:\d+: \.keyBy\("late"\): not a source field \(the fields are card, amount, status, vip, at, note; inferred from the source's first records: declare `fields` for others\)/);
  });

  it('infers them from stdin\'s first lines and reads those lines too: a long input, one shorter than the sample, and a slow producer', async () => {
    const job = writeJob('stdin.mjs', undefined);
    const declaredJob = writeJob('stdin-declared.mjs', "{ card: 'string', amount: 'number', status: 'string', vip: 'boolean', at: 'time' }");
    /** The job's output over `path` read from stdin, with fields inferred, and the declared job's over the same file. */
    const both = async (path: string, records: number): Promise<void> => {
      const out = join(dir, 'stdin.out');
      const fd = openSync(path, 'r');
      let r;
      try {
        r = await runSabre(['run', '--job', job, '--source', 'stdin', ...COMMON, '--dead-letter', 'null', '--sink', `file:${out}`], fd);
      } finally {
        closeSync(fd);
      }
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`[sabre] fields inferred from the first ${records} records of stdin: card: string, amount: number`);
      const declared = join(dir, 'stdin-declared.out');
      const d = await runSabre(['run', '--job', declaredJob, '--source', `file:${path}`, ...COMMON, '--dead-letter', 'null', '--sink', `file:${declared}`]);
      expect(d.code, d.stderr).toBe(0);
      expect(lines(readFileSync(out, 'utf8'))).toEqual(lines(readFileSync(declared, 'utf8')));
      expect(lines(readFileSync(out, 'utf8')).length).toBeGreaterThan(0);
    };
    await both(input, INFER_SAMPLE);
    // Shorter than the sample: stdin ends inside the read-ahead, and every line of it still reaches the job.
    const short = join(dir, 'short.ndjson');
    writeFileSync(short, readFileSync(input, 'utf8').split('\n').slice(0, 300).join('\n') + '\n');
    await both(short, 300);

    // A slow producer: 20 lines, the last one cut in two, then nothing until the run has started with what came
    // (the sample waits STDIN_SAMPLE_MS after its first line); then the rest. The run reads all of it, the cut line whole.
    const all = readFileSync(input, 'utf8');
    const cut = all.split('\n').slice(0, 20).join('\n').length - 5;
    const out = join(dir, 'slow.out');
    const run = startSabre(['run', '--job', job, '--source', 'stdin', ...COMMON, '--dead-letter', 'null', '--sink', `file:${out}`], 'pipe');
    run.child.stdin!.write(all.slice(0, cut));
    await waitFor('the run to start on the first lines', () => run.stderr().includes('[sabre] fields inferred from the first 19 records of stdin'), run);
    run.child.stdin!.end(all.slice(cut));
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    const declared = join(dir, 'slow-declared.out');
    const d = await runSabre(['run', '--job', declaredJob, ...COMMON, '--dead-letter', 'null', '--sink', `file:${declared}`]);
    expect(d.code, d.stderr).toBe(0);
    expect(lines(readFileSync(out, 'utf8'))).toEqual(lines(readFileSync(declared, 'utf8')));
  });

  it('http cannot be read ahead to infer fields, and an empty file has none: ERR_INVALID_JOB naming the job', async () => {
    const job = writeJob('http.mjs', undefined);
    const r = await runSabre(['run', '--job', job, '--source', 'http', ...COMMON]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ERR_INVALID_JOB: ${job}: the job's source declares no fields, and a http source cannot be read ahead of the run`);
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '\n');
    const e = await runSabre(['run', '--job', job, '--source', `file:${empty}`, ...COMMON]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`ERR_INVALID_JOB: ${job}: cannot infer the job's fields: file:${empty} has no records yet; declare them in the source's \`fields\``);
  });
});
