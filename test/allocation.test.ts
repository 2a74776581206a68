import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// DESIGN.md: "the hot loop allocates nothing per record — check it with
// --trace-gc, not by belief". 3M generator records through one worker: a
// single boxed double per record would be 48 MB per thread, i.e. dozens of
// scavenges; allocation-free loops need only a handful (start-up, results).
describe('hot loops allocate nothing per record', () => {
  it('main thread and worker each need only a few scavenges for 3M records', async () => {
    const { stdout, stderr } = await run('node', ['--trace-gc', 'bin/sabre.js', 'run', '--count', '3000000', '--keys', '1000',
      '--sink', 'null', '--workers', '1', '--partitions', '4', '--progress', '0', '--http-port', '0'], { maxBuffer: 1 << 24 });
    expect(stderr).toMatch(/3,000,000 records/);
    const perThread = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      const m = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: Scavenge/.exec(line);
      if (m) perThread.set(m[1]!, (perThread.get(m[1]!) ?? 0) + 1);
    }
    expect(perThread.size).toBeGreaterThanOrEqual(1);
    for (const [, n] of perThread) expect(n).toBeLessThan(20);
  });
});
