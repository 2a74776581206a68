import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../dist/src/index.js';

const invalid = (text: RegExp) => expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(text) });
const replay = (text: string, more: Record<string, string> = {}) => resolveOptions({ source: 'kafka:trades', replay: text, ...more }).replay;

describe('--replay FROM..TO (validated once, in src/options.ts)', () => {
  it('absent by default', () => {
    expect(resolveOptions({ source: 'kafka:trades' }).replay).toBeUndefined();
  });

  it('each end: earliest, latest (TO), ISO-8601, timestamp:EPOCHMS, offset:N', () => {
    expect(replay('earliest..latest')).toMatchObject({ from: { kind: 'earliest' }, to: { kind: 'latest' } });
    expect(replay('timestamp:1700000000000..timestamp:1700000060000'))
      .toMatchObject({ from: { kind: 'timestamp', at: 1_700_000_000_000 }, to: { kind: 'timestamp', at: 1_700_000_060_000 } });
    expect(replay('2026-12-07T06:00:00Z..2026-12-07T07:00:00.500Z'))
      .toMatchObject({ from: { kind: 'timestamp', at: Date.UTC(2026, 11, 7, 6) }, to: { kind: 'timestamp', at: Date.UTC(2026, 11, 7, 7, 0, 0, 500) } });
    expect(replay('offset:10..offset:20')).toMatchObject({ from: { kind: 'offset', offset: 10n }, to: { kind: 'offset', offset: 20n } });
    expect(replay('offset:5..latest').text).toBe('offset:5..latest');
  });

  it('refuses texts it cannot read, with what to give instead', () => {
    expect(() => replay('earliest')).toThrow(invalid(/--replay: expects FROM\.\.TO/));
    expect(() => replay('..latest')).toThrow(invalid(/expects FROM\.\.TO/));
    expect(() => replay('earliest..latest..x')).toThrow(invalid(/expects FROM\.\.TO/));
    expect(() => replay('latest..latest')).toThrow(invalid(/FROM cannot be latest/));
    expect(() => replay('earliest..earliest')).toThrow(invalid(/TO cannot be earliest/));
    expect(() => replay('yesterday..latest')).toThrow(invalid(/FROM "yesterday" is not one of/));
    expect(() => replay('offset:-1..latest')).toThrow(invalid(/offset:N takes a non-negative integer/));
    expect(() => replay('earliest..timestamp:soon')).toThrow(invalid(/TO "timestamp:soon": timestamp:EPOCHMS takes epoch milliseconds/));
    expect(() => replay('timestamp:2000..timestamp:1000')).toThrow(invalid(/TO \(1000\) is before FROM \(2000\)/));
    expect(() => replay('offset:9..offset:3')).toThrow(invalid(/before FROM/));
  });

  it('only with a kafka: source, never with --start-from, --checkpoint-dir or --restore', () => {
    expect(() => resolveOptions({ source: 'file:x.ndjson', replay: 'earliest..latest' })).toThrow(invalid(/--replay: reads a Kafka topic/));
    expect(() => replay('earliest..latest', { startFrom: 'earliest' })).toThrow(invalid(/leave out --start-from/));
    expect(() => replay('earliest..latest', { checkpointDir: '/tmp/cp' })).toThrow(invalid(/re-run, not resumed/));
    expect(() => replay('earliest..latest', { restore: 'latest' })).toThrow(invalid(/re-run, not resumed/));
  });
});
