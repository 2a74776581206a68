// `sabre run` as a real child process whose HTTP side the test talks to:
// wait for a stderr line, find a free port, list the TCP sockets the process
// listens on (from /proc, so it cannot be fooled by another process on the
// same port).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { freePort } from './free-port.js';

export { freePort };

export interface SabreServer {
  child: ChildProcess;
  /** stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `re` in stderr; rejects if the process exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit (code 0 when it drained cleanly). */
  stop(): Promise<{ code: number | null; stderr: string }>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startSabreServer(args: string[], env: Record<string, string> = {}): SabreServer {
  const child = spawn('node', ['bin/sabre.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  // A test that times out never reaches its `finally` (stop()): the server dies with the test instead
  // of staying behind on the machine.
  onTestFinished(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let err = '';
  const listeners: (() => void)[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of [...listeners]) l();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const l of [...listeners]) l();
    });
  });
  let exited = false;
  void exit.then(() => { exited = true; });
  return {
    child,
    exit,
    stderr: () => err,
    waitFor: (re, ms = 30_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new Error(`no ${re} on stderr within ${ms} ms:\n${err}`)); }, ms);
      const check = (): void => {
        const m = err.match(re);
        if (m) {
          done();
          resolve(m);
        } else if (exited || child.exitCode !== null) {
          done();
          reject(new Error(`sabre exited before ${re}:\n${err}`));
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        const i = listeners.indexOf(check);
        if (i >= 0) listeners.splice(i, 1);
      };
      listeners.push(check);
      check();
    }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const { code } = await exit;
      return { code, stderr: err };
    },
  };
}


export interface Listener {
  /** Dotted IPv4 address, or the raw hex of an IPv6 one. */
  address: string;
  port: number;
}

/** TCP sockets in LISTEN state owned by process `pid` (its fds matched to /proc/net/tcp{,6} inodes). */
export function listeningSockets(pid: number): Listener[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A = LISTEN
      const [hex, portHex] = f[1]!.split(':');
      const address = hex!.length === 8
        ? [3, 2, 1, 0].map((i) => parseInt(hex!.slice(i * 2, i * 2 + 2), 16)).join('.') // little-endian
        : hex!;
      out.push({ address, port: parseInt(portHex!, 16) });
    }
  }
  return out;
}

/** `sabre stats --url URL` as a real process: its stdout. */
export function sabreStats(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('node', ['bin/sabre.js', 'stats', '--url', url], (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)));
  });
}
