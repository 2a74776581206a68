// Before a checkpoint is restored, each of its snapshot files is checked:
// a core snapshot and a job pipeline's snapshot (SBRPIPE sections) alike.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySnapshotFile } from '../../../src/checkpoint/snapshot.js';
import { SECTION_PROCESS, SECTION_WINDOW, readSections, writeSections } from '../../../src/operators/pipeline/pipeline-snapshot.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sabre-verify-snap-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('verifySnapshotFile', () => {
  const sections = [{ kind: SECTION_WINDOW, bytes: new Uint8Array([1, 2, 3, 4]) }, { kind: SECTION_PROCESS, bytes: new TextEncoder().encode('{"c1":{}}') }];

  it('accepts a job pipeline snapshot that its own reader reads', () => {
    const bytes = writeSections(sections);
    const f = join(dir, 'worker-0.snap');
    writeFileSync(f, bytes);
    expect(() => verifySnapshotFile(f)).not.toThrow();
    expect(readSections(bytes, f).map((s) => s.kind)).toEqual([SECTION_WINDOW, SECTION_PROCESS]);
  });

  it('refuses a job pipeline snapshot with a flipped byte or cut short: ERR_CHECKPOINT_CORRUPT', () => {
    const bytes = writeSections(sections);
    const f = join(dir, 'worker-0.snap');
    for (const at of [9, 14, bytes.length - 6]) {
      const bad = Uint8Array.from(bytes);
      bad[at]! ^= 0x40;
      writeFileSync(f, bad);
      expect(() => verifySnapshotFile(f)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringContaining('checksum mismatch') }));
    }
    writeFileSync(f, bytes.subarray(0, 10));
    expect(() => verifySnapshotFile(f)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringContaining('truncated') }));
  });

  it('refuses a file that is neither kind of snapshot', () => {
    const f = join(dir, 'worker-0.snap');
    writeFileSync(f, 'not a snapshot at all, just text of some length');
    expect(() => verifySnapshotFile(f)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringContaining('not a Sabre snapshot') }));
  });
});
