import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The builder's typing is part of the API: test/types/job-api.ts holds jobs that must compile and,
// under @ts-expect-error, mistakes that must not (a sum over a string field, a typo'd field, ...).
// tsc fails on an unused @ts-expect-error, so a mistake that starts compiling fails this test.
describe('job API types', () => {
  it('accepts the typed pipelines and rejects the mistakes in test/types/job-api.ts', () => {
    let out = '';
    try {
      out = execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/types/tsconfig.json'], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out.trim()).toBe('');
  }, 60_000);
});
