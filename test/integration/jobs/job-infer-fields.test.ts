// A job whose source declares no fields: `sabre run` infers them from the
// first records of the file it reads, says so on stderr, runs the job as if
// they had been declared (the same outputs), and dead-letters a record that
// does not fit them. Sources that cannot be read ahead (stdin, http) and
// samples without the fields a job names fail with ERR_INVALID_JOB.
// Runs the built CLI (build first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';
import { runSabre } from '../../helpers/sabre-process.js';
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

  it('stdin cannot be read ahead to infer fields, and an empty file has none: ERR_INVALID_JOB naming the job', async () => {
    const job = writeJob('stdin.mjs', undefined);
    const r = await runSabre(['run', '--job', job, '--source', 'stdin', ...COMMON]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ERR_INVALID_JOB: ${job}: the job's source declares no fields, and a stdin source cannot be read ahead of the run`);
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '\n');
    const e = await runSabre(['run', '--job', job, '--source', `file:${empty}`, ...COMMON]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`ERR_INVALID_JOB: ${job}: cannot infer the job's fields: file:${empty} has no records yet; declare them in the source's \`fields\``);
  });
});
