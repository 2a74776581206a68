// `sabre run --job FILE`: a job module's pipeline run end to end by the
// built CLI (dist/; build first). Job files are written to a temp dir; they
// import the package by the absolute URL of dist/src/index.js (the .ts job
// imports 'sabre-stream', which the loader resolves). Expected outputs are
// computed here from the input records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;

function sabre(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('node', ['bin/sabre.js', ...args], { timeout: 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const COMMON = ['--http-port', '0', '--progress', '0', '--workers', '2', '--partitions', '2'];

interface Txn { card: string; amount: number; at: number }

let dir: string;
let input: string;
let txns: Txn[];

beforeAll(() => {
  dir = tmpDir();
  // 300 records over 3 s of event time, in order, 7 cards; amounts 0..19 (13 appears: the unlucky amount below).
  txns = Array.from({ length: 300 }, (_, i) => ({ card: `c${(i * 5) % 7}`, amount: (i * 7) % 20, at: 1_700_000_000_000 + i * 10 }));
  input = join(dir, 'txns.ndjson');
  writeFileSync(input, txns.map((t) => JSON.stringify(t)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (text: string): Record<string, unknown>[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const byKeyAndStart = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  String(a.card).localeCompare(String(b.card)) || Number(a.start) - Number(b.start);

/** Tumbling 1 s windows per card over `rows`: { card, start, end, n, total }. */
function windows(rows: Txn[]): Record<string, unknown>[] {
  const m = new Map<string, { card: string; start: number; end: number; n: number; total: number }>();
  for (const t of rows) {
    const start = t.at - (t.at % 1000);
    const k = `${t.card}@${start}`;
    const w = m.get(k) ?? { card: t.card, start, end: start + 1000, n: 0, total: 0 };
    w.n++;
    w.total += t.amount;
    m.set(k, w);
  }
  return [...m.values()].sort(byKeyAndStart);
}

const pick = (r: Record<string, unknown>, keys: string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, r[k]]));

describe('sabre run --job', () => {
  it('runs an .mjs job: a window aggregate over an NDJSON file, one line per window', async () => {
    const job = join(dir, 'per-card.mjs');
    writeFileSync(job, `import { job, file, tumbling, count, sum } from '${SABRE}';
export default job({ source: file(${JSON.stringify(input)}, { fields: { card: 'string', amount: 'number', at: 'number' }, time: 'at' }) })
  .keyBy('card')
  .window(tumbling('1s'))
  .aggregate({ n: count(), total: sum('amount') });
`);
    const r = await sabre(['run', '--job', job, ...COMMON]);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.map((o) => pick(o, ['card', 'start', 'end', 'n', 'total'])).sort(byKeyAndStart)).toEqual(windows(txns));
    expect(r.stderr).toMatch(new RegExp(`done in .*: 300 records.*, ${out.length} results`));
  });

  it("runs a .ts job importing 'sabre-stream' and a .ts helper, with a named sink and --sink overriding the job's", async () => {
    writeFileSync(join(dir, 'rules.ts'), 'export const isBig = (amount: number): boolean => amount >= 10;\n');
    const big = join(dir, 'big.ndjson');
    const results = join(dir, 'results.ndjson');
    const job = join(dir, 'big-per-card.ts');
    writeFileSync(job, `import { job, file, tumbling, count, toFile, toStdout } from 'sabre-stream';
import { isBig } from './rules.js';

const fields = { card: 'string', amount: 'number', at: 'number' } as const;
export default job({ source: file(${JSON.stringify(input)}, { fields, time: 'at' }), sink: toStdout(), sinks: { big: toFile(${JSON.stringify(big)}) } })
  .filter((t) => isBig(t.amount))
  .to('big')
  .keyBy('card')
  .window(tumbling('1s'))
  .aggregate({ n: count() });
`);
    const r = await sabre(['run', '--job', job, '--sink', `file:${results}`, ...COMMON]);
    expect(r.code, r.stderr).toBe(0);
    const bigOnes = txns.filter((t) => t.amount >= 10);
    expect(parse(readFileSync(big, 'utf8')).sort((a, b) => Number(a.at) - Number(b.at))).toEqual(bigOnes);
    expect(parse(readFileSync(results, 'utf8')).map((o) => pick(o, ['card', 'start', 'end', 'n'])).sort(byKeyAndStart))
      .toEqual(windows(bigOnes).map((w) => pick(w, ['card', 'start', 'end', 'n'])));
    expect(r.stdout).toBe('');
  });

  it('a job with a syntax error fails before reading input: ERR_INVALID_JOB FILE:LINE:COL', async () => {
    const job = join(dir, 'broken.ts');
    writeFileSync(job, `import { job } from 'sabre-stream';\n\nexport default job({ source: }).keyBy('card');\n`);
    const r = await sabre(['run', '--job', job, ...COMMON]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`ERR_INVALID_JOB: ${job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:30: Expression expected`));
  });

  it('options the job defines, and a missing job file, are refused before anything runs', async () => {
    const r1 = await sabre(['run', '--job', join(dir, 'per-card.mjs'), '--window', 'tumbling:5s', ...COMMON]);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/ERR_INVALID_OPTION: --window: the job module .* defines it/);
    const r2 = await sabre(['run', '--job', join(dir, 'nope.mjs'), ...COMMON]);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/ERR_INVALID_OPTION: --job .*nope\.mjs: no such file/);
  });

  describe('a job function that throws', () => {
    let job: string;
    const LINE = 6; // the throw's line in the job below
    beforeAll(() => {
      job = join(dir, 'unlucky.mjs');
      writeFileSync(job, `import { job, file, tumbling, count } from '${SABRE}';
const fields = { card: 'string', amount: 'number', at: 'number' };
export default job({ source: file(${JSON.stringify(input)}, { fields, time: 'at' }) })
  .filter((t) => {
    if (t.amount === 13) {
      throw new Error('unlucky 13');
    }
    return true;
  })
  .keyBy('card')
  .window(tumbling('1s'))
  .aggregate({ n: count() });
`);
    });

    it('--on-user-error fail (the default): the run fails with ERR_USER_FUNCTION naming the job file and line', async () => {
      const r = await sabre(['run', '--job', job, ...COMMON]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/ERR_USER_FUNCTION/);
      expect(r.stderr).toContain('unlucky 13');
      expect(r.stderr).toContain(`${job}:${LINE}`);
    });

    it('--on-user-error dead-letter: each such record is dead-lettered with reason user-function and counted; the rest is aggregated', async () => {
      const dead = join(dir, 'dead.ndjson');
      const r = await sabre(['run', '--job', job, '--on-user-error', 'dead-letter', '--dead-letter', `file:${dead}`, ...COMMON]);
      expect(r.code, r.stderr).toBe(0);
      const unlucky = txns.filter((t) => t.amount === 13);
      expect(unlucky.length).toBeGreaterThan(0);
      expect(existsSync(dead)).toBe(true);
      const letters = parse(readFileSync(dead, 'utf8'));
      expect(letters).toHaveLength(unlucky.length);
      for (const l of letters) {
        expect(l).toMatchObject({ code: 'ERR_USER_FUNCTION', reason: 'user-function' });
        expect(String(l.detail)).toContain('unlucky 13');
        expect((l.record as Txn).amount).toBe(13);
      }
      expect(r.stderr).toMatch(new RegExp(`, ${unlucky.length} dead-letter`));
      const lucky = txns.filter((t) => t.amount !== 13);
      expect(parse(r.stdout).map((o) => pick(o, ['card', 'start', 'end', 'n'])).sort(byKeyAndStart))
        .toEqual(windows(lucky).map((w) => pick(w, ['card', 'start', 'end', 'n'])));
    });
  });
});
