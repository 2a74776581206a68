import { resolveOptions, type RawOptions, type ResolvedOptions } from '../options.js';
import { isBuiltinGenerator } from '../options/generator-keys.js';
import { SIM_EPOCH_MS, TradeModel, type GeneratorKind } from '../io/generator/trade-model.js';
import { JobRecordMessages } from '../io/generator/job-record-messages.js';
import type { JobGeneratorKind } from '../job/sources.js';

/**
 * `sabre generate --count N`: the generator's records as NDJSON on stdout, the
 * same sequence `--source generator` feeds the engine (simulated clock): the
 * built-in kinds (trades, cards) as key/ts/value records, the job kinds
 * (card-txns, market) as the records generator(kind) gives a job module.
 */
/** sabre generate always ends: --count defaults to 1000 here (usage.ts shows it). */
export const GENERATE_DEFAULTS = { count: 1000 } as const;

export async function generateCommand(raw: RawOptions): Promise<number> {
  const o = resolveOptions({ ...GENERATE_DEFAULTS, ...raw });
  const line = isBuiltinGenerator(o.generator) ? builtinLines(o, o.generator) : jobLines(o, o.generator as JobGeneratorKind);
  const out = process.stdout;
  let buf = '';
  for (let i = 0; i < o.count; i++) {
    buf += line(i);
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  out.write(buf);
  return 0;
}

/** Record i of a built-in kind as one NDJSON line (call for i = 0, 1, 2, … in order). */
function builtinLines(o: ResolvedOptions, kind: GeneratorKind): (i: number) => string {
  const model = new TradeModel({ kind, seed: o.seed, keys: o.keys, keyBytes: o.keyBytes, disorder: o.disorder, eventsPerMs: o.eventsPerMs });
  // Keys are padded once each, not per record.
  const keys = Array.from({ length: o.keys }, (_, k) => model.keyString(k));
  return (i) => {
    model.draw();
    const ts = SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - model.jitter;
    const key = keys[model.keyIndex]!;
    return kind === 'trades'
      ? `{"key":"${key}","ts":${ts},"value":${model.value},"qty":${(model.attr % 500) + 1},"side":"${model.attr & 1 ? 'sell' : 'buy'}"}\n`
      : `{"key":"${key}","ts":${ts},"value":${model.value},"merchant":"M${model.attr % 997}","country":"${COUNTRIES[model.attr % COUNTRIES.length]}"}\n`;
  };
}

/** Record i of a job kind: the fields generator(kind) gives a job, on the simulated clock. */
function jobLines(o: ResolvedOptions, kind: JobGeneratorKind): (i: number) => string {
  const messages = new JobRecordMessages({ kind, seed: o.seed, keys: o.keys, disorder: o.disorder, eventsPerMs: o.eventsPerMs, rate: 0, startWallMs: 0 });
  return (i) => `${messages.next(i)}\n`;
}

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'NG'];
