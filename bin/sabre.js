#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// `sabre bench` runs the benchmark runner, which is compiled to dist/bench/
// outside the library: src/ never imports bench/ (scripts/check-layers.mjs),
// so the command is routed here, in the executable, not in src/cli/main.ts.
const argv = process.argv.slice(2);
const run = argv[0] === 'bench'
  ? import('../dist/bench/sabre-bench.js').then(async (bench) => (await bench.main(argv.slice(1))) ?? 0)
  : main(argv);

run.then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(`sabre: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
