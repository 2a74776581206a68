// Runs `sabre` as a real child process (for kill, signal and restart tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

export function startSabre(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn('node', ['bin/sabre.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exit };
}

export async function runSabre(args: string[]): Promise<Exit> {
  return startSabre(args).exit;
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
