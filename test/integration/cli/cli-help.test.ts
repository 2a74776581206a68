// Every command answers --help and -h with its own usage, exit 0, before
// anything is opened: the bogus --brokers and --url below would make a
// command that tried to connect fail (or hang until its timeout).
// `sabre help` lists what --source and --sink take and, for options with a
// fixed set of values, those values (from OPTION_SPECS' choices).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { OPTION_SPECS } from '../../../dist/src/options.js';

function sabre(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/sabre.js', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const BOGUS = ['--brokers', '127.0.0.1:1'];
const COMMANDS: [string, string[]][] = [
  ['run', ['--source', 'kafka:nothing', ...BOGUS]],
  ['generate', ['--count', '5']],
  ['produce', ['trades', ...BOGUS]],
  ['stats', ['--url', 'http://127.0.0.1:1']],
  ['bench', []],
  ['help', []],
];

describe('sabre <command> --help / -h', () => {
  for (const [cmd, extra] of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`sabre ${cmd} ${flag} prints its usage and exits 0 without connecting`, async () => {
        for (const args of [[cmd, flag], [cmd, ...extra, flag]]) {
          const t0 = Date.now();
          const r = await sabre(args);
          expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
          expect(r.stdout, args.join(' ')).toMatch(new RegExp(`^usage: sabre ${cmd === 'help' ? '' : cmd}`, 'i'));
          expect(r.stderr, args.join(' ')).toBe('');
          expect(Date.now() - t0, args.join(' ')).toBeLessThan(5_000);
        }
      });
    }
  }

  it('run --help lists the options of a run; generate and produce list theirs', async () => {
    expect((await sabre(['run', '--help'])).stdout).toMatch(/--out-of-orderness\s+.*\[200ms\]/);
    const gen = (await sabre(['generate', '--help'])).stdout;
    expect(gen).toMatch(/--count\s/);
    expect(gen).toMatch(/--keys\s/);
    expect(gen).not.toMatch(/--brokers/);
    const prod = (await sabre(['produce', '--help'])).stdout;
    expect(prod).toMatch(/TOPIC/);
    expect(prod).toMatch(/--brokers\s/);
    expect(prod).toMatch(/--rate\s/);
    expect((await sabre(['stats', '-h'])).stdout).toMatch(/--url\s/);
  });
});

describe('sabre help', () => {
  it('lists kafka:TOPIC for --source and --sink, and every option\'s allowed values', async () => {
    const { stdout } = await sabre(['help']);
    const line = (flag: string): string => stdout.split('\n').find((l) => l.trimStart().startsWith(`${flag} `)) ?? '';
    expect(line('--source')).toContain('kafka:TOPIC');
    expect(line('--sink')).toContain('kafka:TOPIC');
    let withChoices = 0;
    for (const [name, spec] of Object.entries(OPTION_SPECS)) {
      const choices = (spec as { choices?: readonly string[] }).choices;
      if (!choices) continue;
      withChoices++;
      const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      expect(line(flag), flag).toContain(choices.join(' | '));
    }
    expect(withChoices).toBeGreaterThanOrEqual(4);
    expect(line('--format')).toContain('json | flatbuffers');
    expect(line('--on-worker-error')).toContain('restore | fail');
  });
});
