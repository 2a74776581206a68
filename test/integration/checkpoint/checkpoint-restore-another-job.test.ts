import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { completeCheckpoints, runSabre } from '../../helpers/sabre-process.js';

// A checkpoint of another job (here: a sliding-window job's, restored into a tumbling one) is refused
// the same way however the restore is asked for — automatically, `--restore latest` or `--restore PATH` —
// with ERR_INVALID_OPTION, before anything is written: its state would be read as this job's.
const COMMON = ['--http-port', '0', '--progress', '0', '--dead-letter', 'null'];
let dir: string;
let input: string;
let cp: string;
let chk: string;

beforeAll(async () => {
  dir = tmpDir();
  input = join(dir, 'in.ndjson');
  writeFileSync(input, execFileSync('node', ['bin/sabre.js', 'generate', '--count', '20000', '--keys', '50'], { maxBuffer: 1 << 26 }));
  cp = join(dir, 'cp');
  const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${join(dir, 'sliding.ndjson')}`,
    '--window', 'sliding:1s,100ms', '--checkpoint-dir', cp, ...COMMON]);
  expect(r.code, r.stderr).toBe(0);
  const ms = completeCheckpoints(cp);
  expect(ms.length).toBeGreaterThanOrEqual(1);
  chk = join(cp, `chk-${String(ms[0]!.id).padStart(8, '0')}`);
}, 60_000);

describe("a checkpoint of another job is refused", () => {
  for (const [how, extra] of [
    ['without --restore', [] as string[]],
    ['with --restore latest', ['--restore', 'latest']],
    ['with --restore PATH of its directory', ['--restore', '<chk>']],
    ['with --restore PATH of its manifest.json', ['--restore', '<chk>/manifest.json']],
  ] as const) {
    it(`${how}: ERR_INVALID_OPTION, nothing written`, async () => {
      const out = join(tmpDir(), 'tumbling.ndjson');
      const before = readdirSync(cp).sort();
      const e = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, '--window', 'tumbling:1s',
        '--checkpoint-dir', cp, ...extra.map((a) => a.replace('<chk>', chk)), ...COMMON]);
      expect(e.code, e.stderr).toBe(1);
      expect(e.stderr.trim().split('\n').pop()).toMatch(/^sabre: ERR_INVALID_OPTION: /);
      expect(e.stderr).not.toContain('restored from checkpoint');
      expect(readdirSync(join(out, '..'))).toEqual([]);
      expect(readdirSync(cp).sort()).toEqual(before);
    }, 60_000);
  }

  it('the same job still restores its own checkpoint with --restore latest and PATH', async () => {
    for (const restore of ['latest', chk]) {
      const out = join(tmpDir(), 'sliding.ndjson');
      const e = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, '--window', 'sliding:1s,100ms',
        '--checkpoint-dir', cp, '--restore', restore, ...COMMON]);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stderr).toContain('restored from checkpoint');
    }
  }, 60_000);
});
