// `--config job.json`: keys are the camelCase option names, and the flag
// spelling (kebab-case) names the same option; naming one option both ways
// is ERR_INVALID_OPTION. A null value is ERR_INVALID_OPTION too (it used to
// become the default silently): leave an option out to get its default.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../../dist/src/cli/main.js';
import { createEngine, resolveOptions } from '../../../dist/src/index.js';
import { tmpDir } from '../../helpers/engine-run.js';

function config(obj: unknown): string {
  const path = join(tmpDir(), 'job.json');
  writeFileSync(path, JSON.stringify(obj));
  return path;
}

const resolved = (args: string[]) => resolveOptions(parseArgs(args));
const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });

describe('--config JSON', () => {
  it('kebab-case keys are the same options as their camelCase names; flags still override them', () => {
    const kebab = resolved(['--config', config({ 'out-of-orderness': '2s', 'allowed-lateness': 300, 'ring-size': '64KiB', 'out-ring-size': '128KiB', window: 'session:5s' })]);
    const camel = resolved(['--config', config({ outOfOrderness: '2s', allowedLateness: 300, ringSize: '64KiB', outRingSize: '128KiB', window: 'session:5s' })]);
    expect(kebab).toEqual(camel);
    expect([kebab.outOfOrderness, kebab.allowedLateness, kebab.ringSize, kebab.outRingSize]).toEqual([2000, 300, 65536, 131072]);
    expect(resolved(['--config', config({ 'out-of-orderness': '2s' }), '--out-of-orderness', '5']).outOfOrderness).toBe(5);
  });

  it('one option named both ways, or an unknown kebab-case key, is ERR_INVALID_OPTION', () => {
    expect(() => resolved(['--config', config({ 'out-of-orderness': '2s', outOfOrderness: '3s' })])).toThrow(invalid);
    expect(() => resolved(['--config', config({ 'out-of-order': '2s' })])).toThrow(invalid);
  });

  it('a null value is ERR_INVALID_OPTION, in a config file and from the library, whatever the option kind', () => {
    for (const key of ['window', 'partitions', 'outOfOrderness', 'ringSize', 'metrics', 'checkpointDir', 'out-of-orderness']) {
      expect(() => resolved(['--config', config({ [key]: null })]), key).toThrow(invalid);
    }
    expect(() => createEngine({ partitions: null } as unknown as Parameters<typeof createEngine>[0])).toThrow(invalid);
    // Leaving the option out still means its default.
    expect(resolved(['--config', config({})]).partitions).toBe(resolveOptions({}).partitions);
  });

  it('`sabre run --config` with a null exits non-zero naming ERR_INVALID_OPTION', async () => {
    const path = config({ source: 'stdin', window: null });
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile('node', ['bin/sabre.js', 'run', '--config', path, '--http-port', '0'], (err, _out, stderr) =>
        resolve({ code: err ? (err.code as number) : 0, stderr }));
      child.stdin!.end('');
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERR_INVALID_OPTION');
  });
});
