import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { committedLines, completeCheckpoints, runSabre } from '../../helpers/sabre-process.js';

// Output targets are checked at start-up: a --sink, --late-output or --dead-letter file in a missing
// directory fails the run before any input is read, with one line naming the code and the path,
// and without a checkpoint that would claim output which never reached the sink (issue 13, items 4 and 6).
const JOB = ['--window', 'tumbling:10ms', '--out-of-orderness', '5ms', '--http-port', '0', '--progress', '0', '--workers', '2'];
let dir: string;
let input: string;

beforeAll(() => {
  dir = tmpDir();
  input = join(dir, 'in.ndjson');
  writeFileSync(input, execFileSync('node', ['bin/sabre.js', 'generate', '--count', '20000', '--keys', '50'], { maxBuffer: 1 << 28 }));
});

/** stderr is exactly one line, the CLI's error line: the code, then the message. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('output targets in a missing directory', () => {
  it('--sink with --checkpoint-dir: fails at start-up with ERR_SINK_OPEN, writes no checkpoint; after mkdir the rerun gives every result', async () => {
    const job = join(dir, 'cp-job');
    mkdirSync(job);
    const out = join(job, 'out', 'windows.ndjson');
    const state = join(job, 'state');
    const args = ['run', '--source', `file:${input}`, '--sink', `file:${out}`, '--checkpoint-dir', state, ...JOB];
    const failed = await runSabre(args);
    expect(failed.code, failed.stderr).not.toBe(0);
    const line = oneLine(failed.stderr); // no start line: it failed before any input was read
    expect(line).toMatch(/^sabre: ERR_SINK_OPEN: /);
    expect(line).toContain(join(job, 'out'));
    expect(line).toContain('ENOENT');
    expect(completeCheckpoints(state)).toEqual([]);

    // Control: the same job without checkpoints, into a plain file.
    const plain = join(job, 'plain.ndjson');
    const ref = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${plain}`, ...JOB]);
    expect(ref.code, ref.stderr).toBe(0);
    const reference = readFileSync(plain, 'utf8').split('\n').filter(Boolean).sort();
    expect(reference.length).toBeGreaterThan(100);

    mkdirSync(join(job, 'out'));
    const rerun = await runSabre(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).not.toContain('restored from checkpoint');
    expect(committedLines(out)).toEqual(reference);
  });

  it('--late-output and --dead-letter: the same one-line ERR_SINK_OPEN naming the path, exit non-zero, nothing written', async () => {
    for (const option of ['--late-output', '--dead-letter']) {
      const job = join(dir, `missing${option}`);
      mkdirSync(job);
      const target = join(job, 'no-such-dir', 'x.ndjson');
      const out = join(job, 'windows.ndjson');
      const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, option, `file:${target}`, ...JOB]);
      expect(r.code, `${option}: ${r.stderr}`).not.toBe(0);
      expect(r.signal).toBeNull();
      const line = oneLine(r.stderr);
      expect(line).toMatch(/^sabre: ERR_SINK_OPEN: /);
      expect(line).toContain(option);
      expect(line).toContain(join(job, 'no-such-dir'));
      expect(existsSync(out), 'the sink was not opened either').toBe(false);
    }
  });

  it('a file where a directory of the path should be: the one line names that file (ENOTDIR)', async () => {
    const r = await runSabre(['run', '--source', `file:${input}`, '--sink', 'null', '--dead-letter', `file:${input}/x/dead.ndjson`, ...JOB]);
    expect(r.code, r.stderr).not.toBe(0);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^sabre: ERR_SINK_OPEN: --dead-letter /);
    expect(line).toContain(`${input} is a file, not a directory (ENOTDIR)`);
  });
});
