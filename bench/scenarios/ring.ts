// ring-1p1c and ring-ping-pong as `sabre bench` scenarios (the work is in bench/ring/).
import { ring1p1c, ringPingPongOnce } from '../ring/ring-scenarios.js';
import { stats } from '../bench-util.js';
import type { ScenarioContext } from './scenario.js';

export async function ring1p1cScenario(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const batches = ctx.list('batches', [1, 4, 16, 64, 256, 1024]);
  const frames = ctx.num('frames', ctx.smoke ? 200_000 : 20_000_000);
  const ringBytes = ctx.num('ringBytes', 1 << 20);
  const total = ctx.repeat * batches.length;
  const r = await ring1p1c({ frames, repeat: ctx.repeat, ringBytes, batches }, (label) => ctx.tick(label, total));
  return { smoke: ctx.smoke, repeat: ctx.repeat, ...r };
}

export async function ringPingPongScenario(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const trips = ctx.num('trips', ctx.smoke ? 5_000 : 200_000);
  const warmup = ctx.num('warmup', ctx.smoke ? 500 : 20_000);
  const runs: Awaited<ReturnType<typeof ringPingPongOnce>>[] = [];
  for (let r = 0; r < ctx.repeat; r++) {
    ctx.tick(`ring-ping-pong run ${r + 1}/${ctx.repeat}`, ctx.repeat);
    runs.push(await ringPingPongOnce(trips, warmup));
  }
  const f = (k: 'p50' | 'p99' | 'p999' | 'max') => stats(runs.map((x) => x[k]));
  return {
    smoke: ctx.smoke, repeat: ctx.repeat, trips, warmup, echoed: runs.map((x) => x.echoed),
    roundTripUs: { p50: f('p50'), p99: f('p99'), p999: f('p999'), max: f('max') },
  };
}
