import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../dist/src/index.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });
const base = { source: 'kafka:txns', sink: 'kafka:out', checkpointDir: 'cp', group: 'fraud' };

describe('--changelog (src/options/changelog.ts)', () => {
  it('off by default; auto names the topic after the group; a name is taken as given', () => {
    expect(resolveOptions(base).changelog).toBeUndefined();
    expect(resolveOptions({ ...base, changelog: 'off' }).changelog).toBeUndefined();
    expect(resolveOptions({ ...base, changelog: 'auto' }).changelog).toBe('fraud-changelog');
    expect(resolveOptions({ ...base, changelog: 'fraud.state' }).changelog).toBe('fraud.state');
  });

  it('each member (group, host, checkpoint directory) has a transactional id of its own: members never fence each other', () => {
    const id = (checkpointDir: string, group = 'fraud') => resolveOptions({ ...base, group, checkpointDir, changelog: 'auto' }).transactionalId;
    expect(id('cp')).toBe(id(`${process.cwd()}/cp`));
    expect(id('cp')).toMatch(/^sabre-out-[0-9a-f]{12}$/);
    expect(id('cp')).not.toBe(id('cp2'));
    expect(id('cp')).not.toBe(id('cp', 'other'));
    expect(id('cp')).not.toBe(resolveOptions(base).transactionalId);
  });

  it('key groups are rounded up to a multiple of the partitions, so a key\'s key group lies in its Kafka partition', () => {
    expect(resolveOptions({ ...base, changelog: 'auto', partitions: 12 }).keyGroups).toBe(132);
    expect(resolveOptions({ ...base, changelog: 'auto', partitions: 8 }).keyGroups).toBe(128);
    expect(resolveOptions({ ...base, partitions: 12 }).keyGroups).toBe(128); // without --changelog nothing changes
    expect(() => resolveOptions({ ...base, changelog: 'auto', partitions: 12, keyGroups: 100 })).toThrow(/give 108/);
    expect(resolveOptions({ ...base, changelog: 'auto', partitions: 12, keyGroups: 120 }).keyGroups).toBe(120);
  });

  it('needs a Kafka source, checkpoints and a transactional Kafka sink, and says which is missing', () => {
    expect(() => resolveOptions({ ...base, changelog: 'auto', source: 'generator' })).toThrow(/--source kafka:TOPIC/);
    expect(() => resolveOptions({ ...base, changelog: 'auto', checkpointDir: undefined })).toThrow(/--checkpoint-dir/);
    expect(() => resolveOptions({ ...base, changelog: 'auto', sink: 'file:out.ndjson' })).toThrow(/--sink kafka:TOPIC/);
    expect(() => resolveOptions({ ...base, changelog: 'auto', sinkTransactional: 'false' })).toThrow(/--sink-transactional false/);
    expect(() => resolveOptions({ ...base, changelog: 'bad name!' })).toThrow(invalid);
  });
});
