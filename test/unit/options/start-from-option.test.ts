import { describe, expect, it } from 'vitest';
import { resolveOptions, optionsHelp } from '../../../dist/src/index.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });
const kafka = (startFrom?: string) => resolveOptions({ source: 'kafka:trades', ...(startFrom === undefined ? {} : { startFrom }) }).startFrom;

describe('--start-from (validated once, in src/options.ts)', () => {
  it('committed by default; the words as given', () => {
    expect(kafka()).toEqual({ kind: 'committed' });
    expect(resolveOptions({}).startFrom).toEqual({ kind: 'committed' });
    for (const w of ['committed', 'earliest', 'latest'] as const) expect(kafka(w)).toEqual({ kind: w });
  });

  it('timestamp:T takes epoch ms or ISO-8601 (UTC without an offset, like event times)', () => {
    expect(kafka('timestamp:1700000000000')).toEqual({ kind: 'timestamp', at: 1_700_000_000_000 });
    expect(kafka('timestamp:0')).toEqual({ kind: 'timestamp', at: 0 });
    expect(kafka('timestamp:2026-12-07T06:00:00Z')).toEqual({ kind: 'timestamp', at: Date.UTC(2026, 11, 7, 6) });
    expect(kafka('timestamp:2026-12-07T06:00:00')).toEqual({ kind: 'timestamp', at: Date.UTC(2026, 11, 7, 6) });
    expect(kafka('timestamp:2026-12-07T07:00:00+01:00')).toEqual({ kind: 'timestamp', at: Date.UTC(2026, 11, 7, 6) });
    expect(kafka('timestamp:2026-12-07')).toEqual({ kind: 'timestamp', at: Date.UTC(2026, 11, 7) });
  });

  it('anything else fails with ERR_INVALID_OPTION', () => {
    for (const bad of ['beginning', 'Latest', 'timestamp:', 'timestamp:yesterday', 'timestamp:-5', 'timestamp:1.5', 'timestamp:2026-13-45', '']) {
      expect(() => kafka(bad), bad).toThrow(invalid);
    }
    expect(() => kafka('timestamp:soon')).toThrow(/epoch ms .* or ISO-8601/);
  });

  it('is refused for a source other than kafka:TOPIC, and says so', () => {
    expect(() => resolveOptions({ source: 'generator', startFrom: 'latest' })).toThrow(invalid);
    expect(() => resolveOptions({ source: 'stdin', startFrom: 'committed' })).toThrow(/kafka:TOPIC only/);
  });

  it('help says what each value does and that commits and checkpoints win', () => {
    const line = optionsHelp(['startFrom']);
    for (const w of ['committed', 'earliest', 'latest', 'timestamp:T', 'kafka:TOPIC only', '--restore', '[committed]']) expect(line).toContain(w);
  });
});
