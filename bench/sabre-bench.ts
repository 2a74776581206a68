// `sabre bench <scenario> [--smoke] [--repeat N] [--flag value ...]` (also `npm run bench -- <scenario>`).
// Each scenario prints one JSON document on stdout and appends it to
// bench-results/<scenario>-<date>.json ($SABRE_BENCH_DIR overrides the
// directory); a progress bar goes to stderr. `all` runs every scenario.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { progress, report } from './bench-util.js';
import { scenarioContext, type ScenarioContext } from './scenarios/scenario.js';
import { ring1p1cScenario, ringPingPongScenario } from './scenarios/ring.js';
import { partitionsSweep } from './scenarios/partitions-sweep.js';
import { latencyUnderLoad } from './scenarios/latency-under-load.js';
import { keysScenario, recordSizeScenario } from './scenarios/keys-and-size.js';
import { tuningScenario } from './scenarios/tuning.js';

export const SCENARIOS: Record<string, { help: string; run: (ctx: ScenarioContext) => Promise<Record<string, unknown>> }> = {
  'ring-1p1c': { help: 'raw SAB ring throughput, one producer → one worker, batch sizes 1…1024 [--frames --batches --ring-bytes]', run: ring1p1cScenario },
  'ring-ping-pong': { help: 'round trip through two rings, latency percentiles [--trips --warmup]', run: ringPingPongScenario },
  'partitions-sweep': { help: 'P × W on the core and heavy jobs + single-thread, postMessage, Rust, Go baselines [--partitions 1,4 --workers 1,2 --jobs core,heavy --count --heavy-count --baselines single-thread,postmessage,rust,go]', run: partitionsSweep },
  'latency-under-load': { help: 'max throughput, then 10/50/90% of it and 1M rec/s offered: p50/p99/p99.9/max per stage [--fractions --rates --seconds --partitions --workers]', run: latencyUnderLoad },
  keys: { help: '1k/100k/1M distinct keys: throughput and bytes per key-window [--keys --count]', run: keysScenario },
  'record-size': { help: 'generator keys padded to 32 B … 1 KiB (--key-bytes): throughput, key MB/s, state bytes per key-window [--sizes --count --keys]', run: recordSizeScenario },
  tuning: { help: 'docs/TUNING.md: semi-space 1/16/64 MB for main + workers and for main only, worker young generation 3/48/192 MB, ring size, max batch: throughput, p99/p99.9, GC pauses per thread [--semi-mb --main-semi-mb --worker-young-mb --ring-sizes --max-batches --rate --seconds --count]', run: tuningScenario },
};

const USAGE = `usage: sabre bench <scenario|all> [--smoke] [--repeat N] [scenario flags]\n\n${Object.entries(SCENARIOS)
  .map(([n, s]) => `  ${n.padEnd(20)} ${s.help}`).join('\n')}\n\nResults: bench-results/<scenario>-<date>.json (or $SABRE_BENCH_DIR). Report: node scripts/bench-report.mjs`;

export function parseFlags(argv: string[]): { names: string[]; flags: Map<string, string>; smoke: boolean } {
  const names: string[] = [];
  const flags = new Map<string, string>();
  let smoke = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--smoke') smoke = true;
    else if (a === '--help' || a === '-h') names.push('help');
    else if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2);
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${k} needs a value`);
      flags.set(k!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v);
    } else names.push(a);
  }
  return { names, flags, smoke };
}

export async function main(argv: string[]): Promise<number> {
  const { names, flags, smoke } = parseFlags(argv);
  if (names.length === 0 || names.includes('help')) {
    process.stdout.write(USAGE + '\n');
    return names.length === 0 ? 1 : 0;
  }
  const list = names.includes('all') ? Object.keys(SCENARIOS) : names;
  for (const n of list) {
    if (!SCENARIOS[n]) {
      process.stderr.write(`sabre bench: unknown scenario "${n}"\n${USAGE}\n`);
      return 1;
    }
  }
  for (const n of list) {
    const ctx = scenarioContext(flags, smoke);
    const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;
    const result = await SCENARIOS[n]!.run(ctx);
    progress('');
    report(n, { loadAvgAtStart, ...result });
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`\nsabre bench: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
