// loadJob: .mjs jobs imported as they are, .ts jobs transpiled (with their
// relative .ts helpers and 'sabre-stream' resolved), and every way a job
// fails to load named by file (and line). Needs dist/ built (npx tsc): the
// jobs import the package's dist/src/index.js, as installed jobs do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadJob } from '../../../src/engine/load-job.js';
import { SabreError } from '../../../src/errors.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sabre-load-job-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(path: string): Promise<SabreError> {
  const e = await loadJob(path).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SabreError);
  return e as SabreError;
}

describe('loadJob', () => {
  it('imports an .mjs job as it is and reads its plan', async () => {
    const path = file('count.mjs', `import { job, file, tumbling, count, toFile } from '${SABRE}';
export default job({ source: file('in.ndjson', { fields: { k: 'string', t: 'number' }, time: 't' }), sinks: { audit: toFile('a.ndjson') } })
  .to('audit')
  .keyBy('k')
  .window(tumbling('1s'))
  .aggregate({ n: count() });
`);
    const j = await loadJob(path);
    expect(j.url).toBe(pathToFileURL(path).href);
    expect(j.plan.module).toBe(path);
    expect(j.plan.sinkNames).toEqual(['', 'audit']);
    expect(j.plan.key).toMatchObject({ kind: 'fields', fields: ['k'] });
    expect(j.plan.branches.map((b) => b.keyed?.kind)).toEqual(['window']);
  });

  it("gives an .mjs job that cannot resolve 'sabre-stream' from where it is (outside a project that installed it) this package", async () => {
    const path = file('bare.mjs', `import { job, file, tumbling, count } from 'sabre-stream';
export default job({ source: file('in.ndjson', { fields: { k: 'string', t: 'number' }, time: 't' }) })
  .keyBy('k').window(tumbling('1s')).aggregate({ n: count() });
`);
    const j = await loadJob(path);
    expect(j.url).not.toBe(pathToFileURL(path).href); // a copy with the package's entry in place of the bare name
    expect(j.plan.module).toBe(path);
    expect(j.plan.branches.map((b) => b.keyed?.kind)).toEqual(['window']);
  });

  it("transpiles a .ts job importing 'sabre-stream' and a relative .ts helper (by its .js name); stack lines name the .ts files", async () => {
    file('helper.ts', `export const big = (x: number): boolean => {
  if (x < 0) throw new Error('negative');
  return x > 10;
};
`);
    const path = file('job.ts', `import { job, file, sliding, sum } from 'sabre-stream';
import { big } from './helper.js';
import type { RowOf } from 'sabre-stream';

const fields = { card: 'string', amount: 'number', at: 'time' } as const;
type Txn = RowOf<typeof fields>;
export default job({ source: file('txns.ndjson', { fields, time: 'at' }) })
  .filter((t: Txn) => big(t.amount))
  .keyBy('card')
  .window(sliding('10s', '1s'))
  .aggregate({ total: sum('amount') });
`);
    const j = await loadJob(path);
    expect(j.url.startsWith(pathToFileURL(join(tmpdir(), 'sabre-jobs')).href)).toBe(true);
    expect(j.plan.fields.map((f) => f.name)).toEqual(['card', 'amount', 'at']);
    // The builder's call sites read through the source map: the .ts file and the line of .filter().
    expect(j.plan.branches[0]!.before[0]!.where).toBe(`${path}:8:4`);
    // The helper runs from its transpiled copy; its errors name the original file and line.
    const filter = j.plan.branches[0]!.before[0] as { fn: (r: unknown) => unknown };
    expect(filter.fn({ card: 'c', amount: 20, at: 0 })).toBe(true);
    let stack = '';
    try {
      filter.fn({ card: 'c', amount: -1, at: 0 });
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    expect(stack).toContain(`${join(dir, 'helper.ts')}:2:`);
    // Loading the same job again reuses the cached copy.
    expect((await loadJob(path)).url).toBe(j.url);
  });

  it('a TypeScript syntax error is ERR_INVALID_JOB naming FILE:LINE:COL', async () => {
    const path = file('bad.ts', `import { job } from 'sabre-stream';\nconst n: number = (1;\nexport default n;\n`);
    const e = await failure(path);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toBe(`${path}:2:21: ')' expected.`);
  });

  it('a syntax error in a relative .ts helper names the helper', async () => {
    const helper = file('broken-helper.ts', `export const f = (: number) => 1;\n`);
    const path = file('uses-broken.ts', `import { f } from './broken-helper.js';\nexport default f;\n`);
    const e = await failure(path);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message.startsWith(`${helper}:1:19: `)).toBe(true);
  });

  it('a module that throws at its top level is ERR_INVALID_JOB with the message and the line in the job file', async () => {
    const path = file('throws.ts', `function setUp(): void {\n  throw new Error('no config for this job');\n}\nsetUp();\nexport default 1;\n`);
    const e = await failure(path);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toContain(path);
    expect(e.message).toContain('no config for this job');
    expect(e.message).toContain(`${path}:2:9`);
  });

  it('an import that cannot be resolved is ERR_INVALID_JOB naming the job file', async () => {
    const path = file('bad-import.mjs', `import { nothing } from './not-there.mjs';\nexport default nothing;\n`);
    const e = await failure(path);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toContain(path);
    expect(e.message).toContain('not-there.mjs');
  });

  it('a module without a default export is ERR_INVALID_JOB (planOf)', async () => {
    const path = file('no-default.mjs', `export const pipeline = 1;\n`);
    const e = await failure(path);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toContain(path);
    expect(e.message).toContain('export default');
  });

  it('a missing file is ERR_INVALID_OPTION --job PATH: no such file', async () => {
    const e = await failure(join(dir, 'nope.ts'));
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe(`--job ${join(dir, 'nope.ts')}: no such file`);
  });
});
