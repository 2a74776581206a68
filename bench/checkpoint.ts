// npm run bench:checkpoint — what checkpoints cost. In one run, alternating:
// the core job (generator → tumbling 1 s windows, 5 aggregates → null sink)
// for a fixed wall time with no checkpoints, every 10 s and every 1 s; then
// checkpoint size and duration with 100k and 1M keys of open state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/index.js';
import { numArgs, progress, report, stats } from './bench-util.js';

const a = numArgs({ seconds: 22, repeat: 3, partitions: 4, workers: 1, keys: 10_000 });

async function run(interval: string | undefined, keys: number, seconds: number) {
  const dir = interval ? mkdtempSync(join(tmpdir(), 'sabre-bench-cp-')) : undefined;
  const engine = createEngine({
    source: 'generator', duration: `${seconds}s`, keys, window: 'tumbling:1s', outOfOrderness: '200ms', sink: 'null',
    lateOutput: 'null', partitions: a.partitions, workers: a.workers, progress: 0, httpPort: 0,
    ...(dir ? { checkpointDir: dir, checkpointInterval: interval } : {}),
  });
  await engine.start();
  const s = await engine.done;
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { recordsPerSec: s.recordsIn / (s.elapsedMs / 1000), checkpoints: s.checkpoints };
}

const modes: [string, string | undefined][] = [['none', undefined], ['10s', '10s'], ['1s', '1s']];
const rates: Record<string, number[]> = { none: [], '10s': [], '1s': [] };
const cps: Record<string, unknown[]> = { none: [], '10s': [], '1s': [] };
for (let r = 1; r <= a.repeat; r++) {
  for (const [name, interval] of modes) {
    progress(`[bench:checkpoint] throughput run ${r}/${a.repeat}, checkpoints ${name} (${a.seconds}s)`);
    const x = await run(interval, a.keys, a.seconds);
    rates[name]!.push(x.recordsPerSec);
    cps[name]!.push(x.checkpoints);
  }
}
// State size: a bounded run whose windows stay open (1 h windows), one checkpoint at the end via a 1 s interval.
const sizes = [];
for (const keys of [100_000, 1_000_000]) {
  progress(`[bench:checkpoint] state size with ${keys} keys`);
  const x = await run('1s', keys, 4);
  sizes.push({ keys, checkpoints: x.checkpoints });
}
progress('');
const none = stats(rates.none!);
report('checkpoint', {
  job: { window: 'tumbling:1s', keys: a.keys, partitions: a.partitions, workers: a.workers, secondsPerRun: a.seconds },
  recordsPerSec: { none, every10s: stats(rates['10s']!), every1s: stats(rates['1s']!) },
  throughputCost: {
    every10s: 1 - stats(rates['10s']!).median / none.median,
    every1s: 1 - stats(rates['1s']!).median / none.median,
  },
  checkpointStats: { every10s: cps['10s'], every1s: cps['1s'] },
  stateSize: sizes,
  target: 'throughput cost < 10% at a 10 s interval',
});
