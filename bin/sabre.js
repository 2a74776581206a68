#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(`sabre: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
