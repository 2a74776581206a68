import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './helpers/engine-run.js';

const run = promisify(execFile);
const golden = (f: string): string[] => readFileSync(new URL(`./golden/${f}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
const read = (f: string): string[] => readFileSync(f, 'utf8').split('\n').filter(Boolean);

// test/golden/input.ndjson (ISO and epoch times, a blank line, out-of-order and
// late records) through the CLI, file source → file sink, for each window type.
// Expected files were produced by the reference (test/reference) and checked by hand.
describe('golden JSONL through `sabre run`', () => {
  for (const [name, window] of [['tumbling', 'tumbling:1s'], ['sliding', 'sliding:2s,1s'], ['session', 'session:700ms']]) {
    it(`${name} windows`, async () => {
      const dir = tmpDir();
      const out = join(dir, 'out.ndjson');
      const late = join(dir, 'late.ndjson');
      const { stderr } = await run('node', ['bin/sabre.js', 'run', '--source', `file:${new URL('./golden/input.ndjson', import.meta.url).pathname}`,
        '--sink', `file:${out}`, '--late-output', `file:${late}`, '--dead-letter', `file:${join(dir, 'dead.ndjson')}`,
        '--window', window!, '--out-of-orderness', '500ms', '--allowed-lateness', '300', '--partitions', '1', '--workers', '1',
        '--http-port', '0']);
      expect(read(out).sort()).toEqual(golden(`${name}.expected.ndjson`));
      expect(read(late).map((l) => { const r = JSON.parse(l); return JSON.stringify({ key: r.key, ts: r.ts, value: r.value }); }))
        .toEqual(golden(`${name}.late.expected.ndjson`));
      expect(read(late).every((l) => JSON.parse(l).reason === 'ERR_LATE_RECORD')).toBe(true);
      expect(stderr).toMatch(/done in .*11 records/);
    });
  }
});
