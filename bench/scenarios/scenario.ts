// What a scenario of `sabre bench` receives: the parsed flags and a progress tick.
import { availableParallelism } from 'node:os';
import { progressBar } from '../bench-util.js';

export interface ScenarioContext {
  smoke: boolean;
  repeat: number;
  cores: number;
  /** `--name 1,2,4` as numbers, or the default. */
  list(name: string, dflt: number[]): number[];
  /** `--name a,b` as strings, or the default. */
  strings(name: string, dflt: string[]): string[];
  /** `--name 1e6` as a number, or the default. */
  num(name: string, dflt: number): number;
  /** One step done out of `total`; redraws the progress bar on stderr. */
  tick(label: string, total: number): void;
}

export function scenarioContext(flags: Map<string, string>, smoke: boolean): ScenarioContext {
  let step = 0;
  const t0 = performance.now();
  const used = new Set<string>(['smoke', 'repeat']);
  const get = (name: string): string | undefined => {
    used.add(name);
    return flags.get(name);
  };
  const num = (name: string, dflt: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got ${v}`);
    return n;
  };
  return {
    smoke,
    repeat: num('repeat', smoke ? 1 : 3),
    cores: availableParallelism(),
    list: (name, dflt) => {
      const v = get(name);
      return v === undefined ? dflt : v.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isFinite(n)) throw new Error(`--${name} expects numbers separated by commas, got ${v}`);
        return n;
      });
    },
    strings: (name, dflt) => get(name)?.split(',') ?? dflt,
    num,
    tick: (label, total) => progressBar(label, ++step, total, t0),
  };
}
