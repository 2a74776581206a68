// `sabre generate --generator card-txns|market` prints the records a job
// module's generator(kind) draws (the rows `sabre run --job` writes into its
// rings, for the same --seed/--keys/--events-per-ms/--disorder), so a job
// reading that file computes what it computes on the generator; `sabre
// produce` takes the kinds as JSON only. Build first (spawns bin/sabre.js).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';
import { jobGeneratorRows } from '../../helpers/job-generator-rows.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;

function sabre(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('node', ['bin/sabre.js', ...args], { timeout: 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const parse = (text: string): Record<string, unknown>[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
beforeAll(() => { dir = tmpDir(); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sabre generate with a job generator kind', () => {
  for (const kind of ['card-txns', 'market'] as const) {
    it(`--generator ${kind} prints exactly the rows the job generator draws for the same settings`, async () => {
      const count = 5000;
      const r = await sabre(['generate', '--generator', kind, '--count', String(count), '--seed', '99', '--keys', '64', '--events-per-ms', '7', '--disorder', '40ms']);
      expect(r.code, r.stderr).toBe(0);
      const printed = parse(r.stdout);
      const rows = await jobGeneratorRows({ kind, seed: 99, keys: 64, eventsPerMs: 7, disorder: 40, rate: 0, count, durationMs: 0 });
      expect(printed).toHaveLength(count);
      expect(printed).toEqual(rows);
    });
  }

  it('generate --help and produce --help list the job kinds', async () => {
    for (const cmd of ['generate', 'produce']) {
      const { stdout } = await sabre([cmd, '--help']);
      expect(stdout).toMatch(/--generator\s.*one of trades \| cards \| card-txns \| market/);
      expect(stdout).toMatch(/--generator card-txns or market/);
    }
  });

  it('produce --generator market --format flatbuffers is refused before connecting (ERR_INVALID_OPTION)', async () => {
    const r = await sabre(['produce', 'bars-in', '--generator', 'market', '--format', 'flatbuffers', '--brokers', '127.0.0.1:1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_INVALID_OPTION: --format flatbuffers/);
  });

  it('a job reading the generated file gives the results it gives on generator(card-txns)', async () => {
    const input = join(dir, 'txns.ndjson');
    const gen = ['--count', '20000', '--seed', '5', '--keys', '30', '--events-per-ms', '4'];
    const g = await sabre(['generate', '--generator', 'card-txns', ...gen]);
    expect(g.code, g.stderr).toBe(0);
    writeFileSync(input, g.stdout);
    const jobFile = join(dir, 'per-card.mjs');
    writeFileSync(jobFile, `import { job, generator, tumbling, count, sum, max } from '${SABRE}';
export default job({ source: generator('card-txns'), outOfOrderness: 150 })
  .filter((t) => t.status !== 'test').keyBy('card').window(tumbling('1s'))
  .aggregate({ n: count(), total: sum('amount'), top: max('amount') });
`);
    const common = ['--job', jobFile, '--http-port', '0', '--progress', '0', '--workers', '2', '--partitions', '4'];
    const outGen = join(dir, 'gen.out');
    const outFile = join(dir, 'file.out');
    const a = await sabre(['run', ...common, ...gen, '--sink', `file:${outGen}`]);
    expect(a.code, a.stderr).toBe(0);
    const b = await sabre(['run', ...common, '--source', `file:${input}`, '--sink', `file:${outFile}`]);
    expect(b.code, b.stderr).toBe(0);
    const canon = (p: string): string[] => parse(readFileSync(p, 'utf8')).map((x) => JSON.stringify(x)).sort();
    const fromGen = canon(outGen);
    expect(fromGen.length).toBeGreaterThan(100);
    expect(canon(outFile)).toEqual(fromGen);
  });
});
