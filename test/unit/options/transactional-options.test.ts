import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../dist/src/index.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });

describe('--sink-transactional and --transactional-id (validated once, in src/options.ts)', () => {
  it('auto: on exactly for a kafka: sink with --checkpoint-dir', () => {
    expect(resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp' }).sinkTransactional).toBe(true);
    expect(resolveOptions({ sink: 'kafka:out' }).sinkTransactional).toBe(false);
    expect(resolveOptions({ sink: 'file:out.ndjson', checkpointDir: 'cp' }).sinkTransactional).toBe(false);
    expect(resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp', sinkTransactional: 'false' }).sinkTransactional).toBe(false);
    expect(resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp', sinkTransactional: true }).sinkTransactional).toBe(true);
    expect(resolveOptions({ sink: 'kafka:out' }).transactionalId).toBeUndefined();
  });

  it('the default transactional id is stable for a job (topic + checkpoint directory) and differs between jobs', () => {
    const id = (sink: string, checkpointDir: string) => resolveOptions({ sink, checkpointDir }).transactionalId;
    expect(id('kafka:out', 'cp')).toBe(id('kafka:out', `${process.cwd()}/cp`));
    expect(id('kafka:out', 'cp')).toMatch(/^sabre-out-[0-9a-f]{12}$/);
    expect(id('kafka:out', 'cp')).not.toBe(id('kafka:out', 'cp2'));
    expect(id('kafka:out', 'cp')).not.toBe(id('kafka:other', 'cp'));
    expect(resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp', transactionalId: 'fraud-eu' }).transactionalId).toBe('fraud-eu');
  });

  it('contradictions fail with ERR_INVALID_OPTION and say what to do', () => {
    expect(() => resolveOptions({ sink: 'file:x', checkpointDir: 'cp', sinkTransactional: 'true' })).toThrow(invalid);
    expect(() => resolveOptions({ sink: 'kafka:out', sinkTransactional: 'true' })).toThrow(/needs --checkpoint-dir/);
    expect(() => resolveOptions({ sink: 'kafka:out', sinkTransactional: 'maybe' })).toThrow(invalid);
    expect(() => resolveOptions({ sink: 'kafka:out', transactionalId: 'x' })).toThrow(invalid);
    expect(() => resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp', checkpointInterval: '10m' })).toThrow(/--checkpoint-interval/);
    expect(resolveOptions({ sink: 'kafka:out', checkpointDir: 'cp', checkpointInterval: '10m', sinkTransactional: 'false' }).checkpointInterval)
      .toBe(600_000);
  });
});
