// --worker-young-generation MB reaches every worker's V8 heap (Piscina's
// resourceLimits.maxYoungGenerationSizeMb) and not the main thread's, also
// when node runs with a process-wide --max-semi-space-size (which V8 would
// otherwise apply to every worker instead). Evidence: V8's own
// heap_size_limit, which is the old generation plus the young generation's
// maximum, reported by each worker in its final metrics snapshot. Each case
// runs in its own process (the pool clears the process flag, and V8 flags
// are process-wide). Needs the build (dist/).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveOptions, optionsHelp } from '../../../dist/src/options.js';

const ROOT = join(import.meta.dirname, '../../..');
const INDEX = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;
const MiB = 2 ** 20;

interface Limits { main: number; workers: number[]; recordsProcessed: number }

function limits(nodeFlags: string[], youngMb: number | undefined): Limits {
  const script = `
    import { createEngine } from ${JSON.stringify(INDEX)};
    const e = createEngine({ source: 'generator', count: 20000, keys: 100, sink: 'null', lateOutput: 'null', deadLetter: 'null',
      progress: 0, httpPort: 0, partitions: 2, workers: 2${youngMb === undefined ? '' : `, workerYoungGeneration: ${youngMb}`} });
    await e.start();
    const s = await e.done;
    const st = e.stats();
    process.stdout.write(JSON.stringify({ main: st.gc.threads.find((t) => t.thread === 'main').heap.limitBytes,
      workers: st.workers.map((w) => w.heap.limitBytes), recordsProcessed: s.recordsProcessed }));`;
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as Limits;
}

describe('--worker-young-generation', () => {
  it('sets each worker\'s young generation and leaves the main thread\'s alone', () => {
    const small = limits([], 3);
    const large = limits([], 96);
    for (const r of [small, large]) {
      expect(r.recordsProcessed).toBe(20000);
      expect(r.workers).toHaveLength(2);
    }
    for (let w = 0; w < 2; w++) expect(large.workers[w]! - small.workers[w]!).toBe((96 - 3) * MiB);
    expect(large.main).toBe(small.main);
  }, 120_000);

  it('wins over node --max-semi-space-size for the workers; the main thread keeps the flag', () => {
    const plain = limits([], 96);
    const flagged = limits(['--max-semi-space-size=1'], 96);
    const flagOnly = limits(['--max-semi-space-size=1'], undefined);
    expect(flagged.workers).toEqual(plain.workers);
    // The flag (semi-space 1 MB → young generation 3 MB) reaches main, and without the option the workers too.
    expect(flagged.main).toBe(flagOnly.main);
    expect(flagged.main).toBeLessThan(plain.main);
    for (let w = 0; w < 2; w++) expect(plain.workers[w]! - flagOnly.workers[w]!).toBe((96 - 3) * MiB);
  }, 180_000);

  it('is validated once, with the options, and listed by sabre help', () => {
    expect(resolveOptions({ workerYoungGeneration: '48' }).workerYoungGeneration).toBe(48);
    expect(resolveOptions({}).workerYoungGeneration).toBeUndefined();
    for (const bad of [2, 1537, 'x', 4.5]) {
      expect(() => resolveOptions({ workerYoungGeneration: bad })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
    expect(optionsHelp()).toMatch(/--worker-young-generation .*young generation per worker/);
  });
});
