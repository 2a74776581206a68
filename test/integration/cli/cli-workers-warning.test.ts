// `sabre run --workers W` with W above the machine's cores warns with one
// stderr line and still runs the job; W at the core count does not warn.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';

function run(workers: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', ['bin/sabre.js', 'run', '--source', 'stdin', '--workers', String(workers), '--partitions', String(workers),
      '--window', 'tumbling:10ms', '--agg', 'count', '--http-port', '0', '--progress', '0'],
    (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    child.stdin!.end('{"key":"a","ts":1}\n{"key":"a","ts":2}\n');
  });
}

describe('sabre run --workers above the core count', () => {
  it('warns once on stderr and runs the job', async () => {
    const cores = availableParallelism();
    const r = await run(cores + 1);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => /warning/i.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`--workers ${cores + 1} .*${cores} cores`));
    expect(JSON.parse(r.stdout)).toEqual({ key: 'a', start: 0, end: 10, count: 2, fire: 'watermark' });

    const atCores = await run(cores);
    expect(atCores.code, atCores.stderr).toBe(0);
    expect(atCores.stderr).not.toMatch(/warning/i);
  });
});
