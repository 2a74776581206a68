import { resolveOptions, type RawOptions } from '../options.js';
import { builtinGenerator } from '../options/generator-keys.js';
import { SIM_EPOCH_MS, TradeModel } from '../io/generator/trade-model.js';

/**
 * `sabre generate --count N`: the generator's records as NDJSON on stdout, the
 * same sequence `--source generator` feeds the engine (simulated clock).
 */
/** sabre generate always ends: --count defaults to 1000 here (usage.ts shows it). */
export const GENERATE_DEFAULTS = { count: 1000 } as const;

export async function generateCommand(raw: RawOptions): Promise<number> {
  const o = resolveOptions({ ...GENERATE_DEFAULTS, ...raw });
  const model = new TradeModel({ kind: builtinGenerator(o.generator, 'sabre generate'), seed: o.seed, keys: o.keys, keyBytes: o.keyBytes, disorder: o.disorder, eventsPerMs: o.eventsPerMs });
  // Keys are padded once each, not per record.
  const keys = Array.from({ length: o.keys }, (_, k) => model.keyString(k));
  const out = process.stdout;
  let buf = '';
  for (let i = 0; i < o.count; i++) {
    model.draw();
    const ts = SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - model.jitter;
    const key = keys[model.keyIndex]!;
    buf += o.generator === 'trades'
      ? `{"key":"${key}","ts":${ts},"value":${model.value},"qty":${(model.attr % 500) + 1},"side":"${model.attr & 1 ? 'sell' : 'buy'}"}\n`
      : `{"key":"${key}","ts":${ts},"value":${model.value},"merchant":"M${model.attr % 997}","country":"${COUNTRIES[model.attr % COUNTRIES.length]}"}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  out.write(buf);
  return 0;
}

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'NG'];
