// The import rules of src/ and workers/ (scripts/check-layers.mjs): no
// circle, nothing importing a higher layer, nothing from bench/. The first
// test checks this tree; the others check that the checker sees each kind of
// break, on small trees written for the test.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// scripts/check-layers.mjs is plain JavaScript (no declarations); vitest runs it as is.
import { checkLayers } from '../../scripts/check-layers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'scripts/check-layers.mjs');

type Report = { problems: string[]; pending: string[]; stale: string[] };

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sabre-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(files: Record<string, string>): string[] {
  const root = tree(files);
  try {
    return (checkLayers(root) as Report).problems;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('import layers', () => {
  it('src/ and workers/ have no import circle, no upward import and no import from bench/', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.split('\n').filter((l) => !l.startsWith('pending (allowed'))).toEqual([
      'imports: no circle, nothing upward, nothing from bench/', '',
    ]);
    expect(r.status).toBe(0);
  });

  it('sees a circle, also through a type-only import', () => {
    const problems = check({
      'src/io/a.ts': "import { b } from './b.js';\nexport const a = 1;\n",
      'src/io/b.ts': "import type { C } from './c.js';\nexport const b = 2;\n",
      'src/io/c.ts': "import { a } from './a.js';\nexport type C = number;\n",
    });
    expect(problems).toEqual(['circle: src/io/a.ts -> src/io/b.ts -> src/io/c.ts -> src/io/a.ts']);
  });

  it('sees an import from a lower layer to a higher one, and lets a higher one import a lower one', () => {
    const problems = check({
      'src/options.ts': "import { x } from './io/x.js';\nexport const o = x;\n",
      'src/io/x.ts': "import { SabreError } from '../errors.js';\nexport const x = SabreError;\n",
      'src/errors.ts': 'export class SabreError {}\n',
    });
    expect(problems).toEqual(['upward: src/options.ts (options) imports src/io/x.ts (io)']);
  });

  it('sees src/ reaching into bench/, also through a module name held in a variable', () => {
    const problems = check({
      'src/cli/main.ts': "const m = '../../bench/runner.js';\nexport const run = () => import(m);\n",
      'bench/runner.ts': 'export const main = 1;\n',
    });
    expect(problems).toEqual(['forbidden: src/cli/main.ts imports bench/runner.ts (../../bench/runner.js); the library must not reach into bench/']);
  });

  it('lets workers/ import the layers below the engine and the worker contract, not the rest of the engine', () => {
    const problems = check({
      'workers/loop.ts': [
        "import { r } from '../src/ring/ring-buffer.js';",
        "import type { Task } from '../src/engine/worker-contract.js';",
        "import { e } from '../src/engine/lifecycle.js';",
        "import { s } from '../src/io/source.js';",
      ].join('\n') + '\n',
      'src/ring/ring-buffer.ts': 'export const r = 1;\n',
      'src/engine/worker-contract.ts': 'export type Task = number;\n',
      'src/engine/lifecycle.ts': "export const e = 1;\nexport const w = new URL('../../workers/loop.js', import.meta.url);\n",
      'src/io/source.ts': 'export const s = 1;\n',
    });
    expect(problems.sort()).toEqual([
      'upward: workers/loop.ts (workers) imports src/engine/lifecycle.ts (engine); workers may import errors, time, job, state, codec, ring, metrics, checkpoint, operators and src/engine/worker-contract.ts',
      'upward: workers/loop.ts (workers) imports src/io/source.ts (io); workers may import errors, time, job, state, codec, ring, metrics, checkpoint, operators and src/engine/worker-contract.ts',
    ]);
  });

  it('names a module no layer covers', () => {
    expect(check({ 'src/jobs/fraud.ts': 'export const j = 1;\n' })).toEqual(['unlayered: src/jobs/fraud.ts (add it to LAYERS in scripts/check-layers.mjs)']);
  });
});
