import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';

const exec = promisify(execFile);
async function sabre(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', ['bin/sabre.js', ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('sabre CLI', () => {
  it('bad options exit non-zero with a message that says what to do', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--window', 'hopping:1s'], /ERR_INVALID_OPTION.*tumbling:SIZE, sliding:SIZE,SLIDE or session:GAP/],
      [['run', '--partitions', '0'], /--partitions: must be at least 1/],
      [['run', '--ring-size', '3000'], /not a power of two/],
      [['run', '--out-of-orderness', 'soon'], /not a duration; use a number of ms or a value like 500ms/],
      [['run', '--agg', 'count,median'], /unknown aggregate median.*--aggregate-module/],
      [['run', '--agg', 'count,median', '--aggregate-module', 'test/fixtures/spread-aggregate.mjs'],
        /ERR_INVALID_OPTION.*exports "spread" but --agg \(count,median\) does not ask for it/],
      [['run', '--frobnicate', '1'], /unknown option --frobnicate/],
      [['run', '--sink', 'kafka'], /--sink "kafka": use stdout, stderr, null or file:PATH/],
      [['run', '--partitions', '8', '--key-groups', '4'], /must be at least --partitions/],
      [['run', '--window'], /--window needs a value/],
    ];
    for (const [args, re] of cases) {
      const r = await sabre([...args, '--http-port', '0']);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });

  it('--config takes the same settings as JSON, validated; flags override it', async () => {
    const dir = tmpDir();
    const cfg = join(dir, 'job.json');
    const out = join(dir, 'out.ndjson');
    writeFileSync(cfg, JSON.stringify({ source: 'stdin', window: 'tumbling:10ms', agg: 'count', sink: 'null', httpPort: 0 }));
    const r = await sabre(['run', '--config', cfg, '--sink', `file:${out}`], '{"key":"x","ts":5}\n{"key":"x","ts":7}\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ key: 'x', start: 0, end: 10, count: 2, fire: 'watermark' });
    writeFileSync(cfg, JSON.stringify({ windw: 'tumbling:1s' }));
    const bad = await sabre(['run', '--config', cfg]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown option "windw"; known options: job, source, sink/);
    writeFileSync(cfg, JSON.stringify({ partitions: 'many' }));
    expect((await sabre(['run', '--config', cfg])).stderr).toMatch(/--partitions: expects a number, got "many"/);
  });

  it('stdin source → stdout sink, with a summary on stderr', async () => {
    const r = await sabre(['run', '--source', 'stdin', '--window', 'session:5', '--agg', 'count,max', '--http-port', '0'],
      '{"key":"a","ts":1,"value":3}\n{"key":"a","ts":4,"value":9}\n{"key":"b","ts":"1970-01-01T00:00:00.002Z","value":1}\n');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
      '{"key":"a","start":1,"end":9,"count":2,"max":9,"fire":"watermark"}',
      '{"key":"b","start":2,"end":7,"count":1,"max":1,"fire":"watermark"}',
    ]);
    expect(r.stderr).toMatch(/\[sabre\] done in .* 3 records/);
  });

  it('generate prints the generator\'s records as NDJSON that run can read back', async () => {
    const { stdout } = await exec('node', ['bin/sabre.js', 'generate', '--count', '5', '--keys', '3']);
    const recs = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(recs).toHaveLength(5);
    for (const r of recs) {
      expect(r.key).toMatch(/^SYM[0-2]$/);
      expect(typeof r.ts).toBe('number');
      expect(r.value).toBeGreaterThanOrEqual(100);
    }
  });

  it('help lists every option with its default', async () => {
    const { stdout } = await exec('node', ['bin/sabre.js', 'help']);
    expect(stdout).toMatch(/--out-of-orderness\s+.*\[200ms\]/);
    expect(stdout).toMatch(/--partitions\s+.*\[4\]/);
  });
});
