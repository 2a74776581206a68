// `sabre run` prints a progress line to stderr every --progress interval:
// records in (and their rate), results out, late, dead-letter, time the
// sources spent paused on full rings, and the fullest ring.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';

interface Progress { t: number; in: number; rate: number; out: number; late: number; dead: number; paused: number; ringMax: number }

const PROGRESS = /^\[sabre\] ([\d.]+)s in ([\d,]+) \(([\d.]+)([kM]?)\/s\) out ([\d,]+) late ([\d,]+) dead-letter ([\d,]+) paused ([\d.]+)s ring-max (\d+)%$/;
const num = (s: string): number => Number(s.replace(/,/g, ''));

function parse(stderr: string): Progress[] {
  return stderr.split('\n').map((l) => PROGRESS.exec(l)).filter((m) => m !== null).map((m) => ({
    t: Number(m![1]), in: num(m![2]!), rate: Number(m![3]) * (m![4] === 'k' ? 1e3 : m![4] === 'M' ? 1e6 : 1),
    out: num(m![5]!), late: num(m![6]!), dead: num(m![7]!), paused: Number(m![8]), ringMax: Number(m![9]),
  }));
}

function sabre(args: string[], stdin?: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', ['bin/sabre.js', 'run', ...args, '--http-port', '0'], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

describe('progress lines on stderr', () => {
  it('a long run prints one every --progress interval: records in rising, their rate, results out', async () => {
    const r = await sabre(['--rate', '5000', '--duration', '1600ms', '--keys', '50', '--window', 'tumbling:100ms',
      '--out-of-orderness', '0', '--sink', 'null', '--progress', '200ms', '--workers', '1', '--partitions', '2']);
    expect(r.code).toBe(0);
    const p = parse(r.stderr);
    expect(p.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < p.length; i++) {
      expect(p[i]!.t).toBeGreaterThan(p[i - 1]!.t);
      expect(p[i]!.in).toBeGreaterThanOrEqual(p[i - 1]!.in);
      expect(p[i]!.out).toBeGreaterThanOrEqual(p[i - 1]!.out);
    }
    expect(p.at(-1)!.in).toBeGreaterThan(p[0]!.in);
    expect(p.at(-1)!.out).toBeGreaterThan(0);
    // Throttled at 5000/s: the rate of a full interval is of that order.
    expect(p.slice(1).some((x) => x.rate > 1000 && x.rate < 20_000)).toBe(true);
    const done = /done in [\d.]+s: ([\d,]+) records/.exec(r.stderr);
    expect(done).not.toBeNull();
    expect(p.at(-1)!.in).toBeLessThanOrEqual(num(done![1]!));
  });

  it('backpressure shows: time paused rises and the fullest ring is reported while a slow worker holds the source back', async () => {
    const n = 20_000;
    const input = Array.from({ length: n }, (_, i) => `{"key":"k${i % 10}","ts":${1000 + i},"value":1}`).join('\n') + '\n';
    const r = await sabre(['--source', 'stdin', '--ring-size', '1KiB', '--agg', 'count,slowsum',
      '--aggregate-module', new URL('../../fixtures/slow-aggregate.mjs', import.meta.url).pathname,
      '--sink', 'null', '--progress', '100ms', '--workers', '1', '--partitions', '2'], input);
    expect(r.code).toBe(0);
    const p = parse(r.stderr);
    expect(p.length).toBeGreaterThanOrEqual(3);
    expect(p.some((x) => x.paused > 0)).toBe(true);
    expect(p.some((x) => x.ringMax > 0)).toBe(true);
    for (let i = 1; i < p.length; i++) expect(p[i]!.paused).toBeGreaterThanOrEqual(p[i - 1]!.paused);
  });
});
