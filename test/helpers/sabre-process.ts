// Runs `sabre` as a real child process (for kill, signal and restart tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

export interface Running {
  child: ChildProcess;
  exit: Promise<Exit>;
  /** What it wrote to stderr so far. */
  stderr: () => string;
}

/** `stdin`: what the process reads on stdin — nothing (the default), a pipe the test writes (child.stdin), or an open file. */
export function startSabre(args: string[], stdin: 'ignore' | 'pipe' | number = 'ignore'): Running {
  const child = spawn('node', ['bin/sabre.js', ...args], { stdio: [stdin, 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  // 'close', not 'exit': stderr is read to its end by then.
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exit, stderr: () => stderr };
}

/**
 * Poll `cond` every 20 ms until it holds; fails if `run` exits first or after
 * `timeoutMs` (a bound for a wedged process, not a tuning knob: every test waits
 * on a condition, never on a fixed sleep).
 */
export async function waitFor(what: string, cond: () => boolean, run?: Running, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  void run?.exit.then(() => { exited = true; });
  for (;;) {
    if (cond()) return;
    if (exited) throw new Error(`waiting for ${what}: the process exited first; stderr:\n${run!.stderr()}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`waiting for ${what}: not after ${timeoutMs} ms${run ? `; stderr:\n${run.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Manifest = { id: number; final: boolean; sources: { name: string; position: Record<string, number> }[] };

/**
 * Manifests of the complete checkpoints in `dir` (those with a manifest.json), newest first. A running
 * engine prunes old checkpoints meanwhile: one deleted between the listing and the read is gone, not listed.
 */
export function completeCheckpoints(dir: string): Manifest[] {
  if (!existsSync(dir)) return [];
  const found: Manifest[] = [];
  for (const f of readdirSync(dir)) {
    if (!/^chk-\d+$/.test(f)) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, f, 'manifest.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // not complete yet, or pruned just now
      throw e;
    }
    found.push(JSON.parse(text) as Manifest);
  }
  return found.sort((a, b) => b.id - a.id);
}

export async function runSabre(args: string[], stdin: 'ignore' | number = 'ignore'): Promise<Exit> {
  return startSabre(args, stdin).exit;
}

/** Lines of every committed part file of a part-file sink at `path`, sorted. */
export function committedLines(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.part-`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .sort();
}

/** A small seeded PRNG (mulberry32) so randomised tests replay exactly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
