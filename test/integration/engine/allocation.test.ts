import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// DESIGN.md: "the hot loop allocates nothing per record — check it with
// --trace-gc, not by belief". The generator runs flat out for 3 s through one
// worker. Scavenges in each thread's first second are JIT warm-up (code runs
// unoptimised while TurboFan compiles on a busy machine) and are not counted.
// After that, one boxed double per record (16 B at millions of records/s)
// would cost dozens of scavenges per second per thread; allocation-free hot
// loops need only a few (results, progress, timers).
const WARMUP_MS = 1000;

describe('hot loops allocate nothing per record', () => {
  it('main thread and worker scavenge only a few times per second in steady state', async () => {
    const { stdout, stderr } = await run('node', ['--trace-gc', 'bin/sabre.js', 'run', '--duration', '3s', '--keys', '1000',
      '--sink', 'null', '--workers', '1', '--partitions', '4', '--progress', '0', '--http-port', '0'], { maxBuffer: 1 << 24 });
    const m = /done in ([\d.]+)s: ([\d,]+) records/.exec(stderr);
    expect(m).not.toBeNull();
    const records = Number(m![2]!.replace(/,/g, ''));
    expect(records).toBeGreaterThan(1_000_000);
    const perThread = new Map<string, number>();
    // Every GC trace line, by isolate (V8 prints `[pid:isolate] …` per isolate): proof that the output of
    // both threads was seen, so "no scavenges" cannot mean "no trace lines parsed".
    const traced = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      const any = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact|Minor Mark-Sweep)/.exec(line);
      if (any) traced.set(any[1]!, (traced.get(any[1]!) ?? 0) + 1);
      const s = /^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: Scavenge/.exec(line);
      if (s && Number(s[2]) > WARMUP_MS) perThread.set(s[1]!, (perThread.get(s[1]!) ?? 0) + 1);
    }
    // With --workers 1 the process has exactly two isolates, the main thread's and the worker's: both were traced.
    expect(traced.size).toBe(2);
    for (const [, n] of perThread) expect(n).toBeLessThan(12);
  });
});
