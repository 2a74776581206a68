// How result lines become Kafka messages: window results keyed by their
// `key` field, a job's outputs by the job's key fields (or no key).
import { describe, expect, it } from 'vitest';
import { jobMessageKey, resultMessage } from '../../../../../src/io/kafka/sink/result-message.js';

describe('jobMessageKey', () => {
  it('one key field: its value as text (a string as is, a number as its JSON)', () => {
    expect(jobMessageKey('{"card":"c1","start":0,"end":1000,"n":3}', ['card'])).toBe('c1');
    expect(jobMessageKey('{"account":42,"n":3}', ['account'])).toBe('42');
  });

  it('several key fields: the JSON array of their values, in keyBy order', () => {
    expect(jobMessageKey('{"n":1,"region":"eu","card":"c1"}', ['card', 'region'])).toBe('["c1","eu"]');
    expect(jobMessageKey('{"card":"c1","shard":7}', ['card', 'shard'])).toBe('["c1",7]');
  });

  it('a key function: the output\'s `key` field', () => {
    expect(jobMessageKey('{"key":"c1/eu","n":2}', ['key'])).toBe('c1/eu');
  });

  it('no key (null) for an unkeyed job or an output without the key fields', () => {
    expect(jobMessageKey('{"card":"c1"}', [])).toBeNull();
    expect(jobMessageKey('{"total":7}', ['card'])).toBeNull();
    expect(jobMessageKey('{"card":"c1"}', ['card', 'region'])).toBeNull();
    expect(jobMessageKey('{"card":null}', ['card'])).toBeNull();
    expect(jobMessageKey('7', ['card'])).toBeNull();
  });
});

describe('resultMessage', () => {
  it('keys a window result by its key field, a job output by the key fields given, and counts the key\'s bytes', () => {
    const line = '{"key":"AAPL","start":0,"end":1000,"count":2,"fire":"watermark"}';
    expect(resultMessage(line, undefined)).toEqual({ key: 'AAPL', value: line, bytes: 4 + line.length });
    const out = '{"card":"c1","start":0,"end":1000,"n":3}';
    expect(resultMessage(out, undefined, ['card'])).toEqual({ key: 'c1', value: out, bytes: 2 + out.length });
    expect(resultMessage(out, undefined, [])).toEqual({ key: null, value: out, bytes: out.length });
  });
});
