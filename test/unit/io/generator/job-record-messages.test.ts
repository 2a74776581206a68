// The job generator kinds as text (sabre generate's lines, sabre produce's
// messages): each line is, field for field and in GENERATOR_FIELDS order, the
// row the job generator writes into the rings for the same settings, on the
// simulated clock and under --rate; the message key is the card or symbol.
import { describe, expect, it } from 'vitest';
import { JobRecordMessages, type JobRecordMessagesOptions } from '../../../../dist/src/io/generator/job-record-messages.js';
import { SIM_EPOCH_MS } from '../../../../dist/src/io/generator/trade-model.js';
import { GENERATOR_FIELDS } from '../../../../dist/src/job/index.js';
import { KEY_FIELD, generatorPlan, jobGeneratorRows } from '../../../helpers/job-generator-rows.js';

function lines(o: JobRecordMessagesOptions, n: number): { text: string[]; keys: string[] } {
  const m = new JobRecordMessages(o);
  const text: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    text.push(m.next(i));
    keys.push(m.key);
  }
  return { text, keys };
}

describe.each(['card-txns', 'market'] as const)('JobRecordMessages %s', (kind) => {
  const plan = generatorPlan(kind);
  // Settings off the defaults, each of which changes the sequence or its times.
  const settings = { kind, seed: 1234, keys: 37, disorder: 55, eventsPerMs: 3 };

  it('on the simulated clock: the JSON of exactly the rows the job generator writes, keyed by the key field', async () => {
    const n = 4000;
    const rows = await jobGeneratorRows({ ...settings, rate: 0, count: n, durationMs: 0 }, plan);
    expect(rows).toHaveLength(n);
    const { text, keys } = lines({ ...settings, rate: 0, startWallMs: 0 }, n);
    const parsed = text.map((t) => JSON.parse(t) as Record<string, unknown>);
    expect(parsed).toEqual(rows);
    // Exactly the kind's fields, in its declared order (what a job's source reads).
    for (const p of parsed.slice(0, 50)) expect(Object.keys(p)).toEqual(Object.keys(GENERATOR_FIELDS[kind]));
    expect(keys).toEqual(rows.map((r) => r[KEY_FIELD[kind]]));
  });

  it('another seed or --events-per-ms gives other records or times', () => {
    const base = lines({ ...settings, rate: 0, startWallMs: 0 }, 500).text;
    expect(lines({ ...settings, seed: 7, rate: 0, startWallMs: 0 }, 500).text).not.toEqual(base);
    const slower = lines({ ...settings, eventsPerMs: 1, rate: 0, startWallMs: 0 }, 500).text.map((t) => JSON.parse(t) as { at: number });
    const parsedBase = base.map((t) => JSON.parse(t) as { at: number });
    expect(slower.map((r) => ({ ...r, at: 0 }))).toEqual(parsedBase.map((r) => ({ ...r, at: 0 })));
    expect(slower.map((r) => r.at)).not.toEqual(parsedBase.map((r) => r.at));
  });

  it('under --rate: event time is the intended send time (from startWallMs) minus the same jitter', () => {
    const n = 2000;
    const rate = 20_000;
    const startWallMs = 1_800_000_000_000;
    const sim = lines({ ...settings, rate: 0, startWallMs: 0 }, n).text.map((t) => JSON.parse(t) as { at: number });
    const paced = lines({ ...settings, rate, startWallMs }, n).text.map((t) => JSON.parse(t) as { at: number });
    expect(paced.map((r) => ({ ...r, at: 0 }))).toEqual(sim.map((r) => ({ ...r, at: 0 })));
    // The jitter behind each clock is the same draw: paced − simulated is the clocks' difference.
    expect(paced.map((r, i) => r.at - sim[i]!.at)).toEqual(sim.map((_, i) =>
      startWallMs + Math.floor(i * (1000 / rate)) - (SIM_EPOCH_MS + Math.floor(i / settings.eventsPerMs))));
  });
});
