// `sabre run` as a real process and its HTTP server: the start-up line names
// the uWebSockets.js implementation (native or the pure-Node fallback) and
// says the same as /api/stats and `sabre stats`; --http-host decides the
// address it listens on; --http-port 0 opens no listener at all.
import { afterEach, describe, expect, it } from 'vitest';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { freePort, listeningSockets, sabreStats, startSabreServer, type SabreServer } from '../../helpers/sabre-server-process.js';
import { expectedUws } from '../../helpers/expected-uws.js';

// A light job: the tests look at the server, not at throughput.
const JOB = ['run', '--source', 'generator', '--rate', '2000', '--keys', '10', '--partitions', '1', '--workers', '1', '--sink', 'null'];
const PROGRESS = /\[sabre\] \d+\.\ds in \d/;

let proc: SabreServer | undefined;
afterEach(async () => {
  if (proc) {
    const { code, stderr } = await proc.stop();
    expect(code, stderr).toBe(0);
  }
  proc = undefined;
});

async function statsAt(url: string): Promise<StatsSnapshot> {
  return (await (await fetch(`${url}/api/stats`)).json()) as StatsSnapshot;
}

describe('sabre run: HTTP server options and the uWebSockets.js implementation', () => {
  it('the start-up line names the implementation (native where expected), as /api/stats and sabre stats do; it listens on 127.0.0.1 only', async () => {
    const port = await freePort();
    proc = startSabreServer([...JOB, '--http-port', String(port), '--http-host', '127.0.0.1', '--progress', '0']);
    const m = await proc.waitFor(/\[sabre\] dashboard http:\/\/([\d.]+):(\d+)\/ .*uWebSockets\.js: (\w+)(.*)$/m);
    expect([m[1], Number(m[2])]).toEqual(['127.0.0.1', port]);
    const impl = m[3];
    expect(impl).toBe(expectedUws());
    const url = `http://127.0.0.1:${port}`;
    const s = await statsAt(url);
    expect(s.uws.implementation).toBe(impl);
    if (impl === 'native') expect(s.uws.detail).toBe('loaded');
    const first = (await sabreStats(url)).split('\n')[0]!;
    expect(first).toContain(`uWS ${impl === 'native' ? 'native' : 'FALLBACK'}`);
    // The one listening socket of the process is 127.0.0.1:port (not 0.0.0.0, not IPv6).
    expect(listeningSockets(proc.child.pid!)).toEqual([{ address: '127.0.0.1', port }]);
  });

  it('UWS_USE_FALLBACK: the start-up line, /api/stats and sabre stats all say fallback, and why', async () => {
    const port = await freePort();
    proc = startSabreServer([...JOB, '--http-port', String(port), '--progress', '0'], { UWS_USE_FALLBACK: '1' });
    const m = await proc.waitFor(/uWebSockets\.js: (\w+) \(([^;]+); slower\)/);
    expect(m[1]).toBe('fallback');
    expect(m[2]).toBe('UWS_USE_FALLBACK is set');
    const url = `http://127.0.0.1:${port}`;
    const s = await statsAt(url);
    expect(s.uws).toMatchObject({ implementation: 'fallback', detail: 'UWS_USE_FALLBACK is set' });
    expect((await sabreStats(url)).split('\n')[0]).toContain('uWS FALLBACK (UWS_USE_FALLBACK is set)');
    // Default host: 127.0.0.1.
    expect(listeningSockets(proc.child.pid!)).toEqual([{ address: '127.0.0.1', port }]);
  });

  it('--http-host 127.0.0.2 binds that address: reachable there, refused on 127.0.0.1', async () => {
    const port = await freePort();
    proc = startSabreServer([...JOB, '--http-port', String(port), '--http-host', '127.0.0.2', '--progress', '0']);
    await proc.waitFor(new RegExp(`dashboard http://127\\.0\\.0\\.2:${port}/`));
    expect(listeningSockets(proc.child.pid!), proc.stderr()).toEqual([{ address: '127.0.0.2', port }]);
    expect((await statsAt(`http://127.0.0.2:${port}`)).version).toBe(1);
    await expect(fetch(`http://127.0.0.1:${port}/api/stats`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });

  it('--http-port 0 opens no listener and prints no dashboard line, while the job runs', async () => {
    proc = startSabreServer([...JOB, '--http-port', '0', '--progress', '200ms']);
    await proc.waitFor(PROGRESS); // running: records are flowing
    await proc.waitFor(new RegExp(`${PROGRESS.source}[^]*${PROGRESS.source}`)); // and still, a progress line later
    expect(listeningSockets(proc.child.pid!)).toEqual([]);
    expect(proc.stderr()).not.toMatch(/dashboard http|uWebSockets\.js/);
  });
});
