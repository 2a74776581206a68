import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPipeline, pipelineArb, planOfSpec, planShape, recordsArb, writeJobCase, type PipelinePaths } from '../../helpers/random-pipeline.js';
import { partitionOfKey, runReferencePipeline } from '../../reference/reference-pipeline.js';

const DIST = resolve('dist/src/index.js');
const dir = mkdtempSync(join(tmpdir(), 'sabre-random-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths: PipelinePaths = { source: join(dir, 'records.ndjson'), side: join(dir, 'side.ndjson') };

/** Prints planShape (test/helpers/random-pipeline.ts) of the module argv[1], checked by the built planOf. */
const SHAPE_OF_MODULE = `
import { pathToFileURL } from 'node:url';
const file = process.argv[1];
const { planOf } = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/job/plan.js')).href)});
const plan = planOf(await import(pathToFileURL(file).href), file);
const { settings, fields, timeField, key, branches, sinkNames, sinks } = plan;
process.stdout.write(JSON.stringify({ settings, fields, timeField, key, branches, sinkNames, sinks },
  (name, value) => (name === 'where' ? undefined : typeof value === 'function' ? value.toString() : value)));
`;

describe('random pipelines', () => {
  it('render to job modules whose plan, as node loads them, is the in-process plan', () => {
    expect(existsSync(DIST), 'build first: npx tsc -p tsconfig.json (the module imports dist/src/index.js)').toBe(true);
    let n = 0;
    fc.assert(fc.property(pipelineArb, recordsArb(10, 5), (spec, records) => {
      const caseDir = join(dir, `case-${n++}`);
      mkdirSync(caseDir);
      const { job: file, paths } = writeJobCase(spec, records, caseDir, pathToFileURL(DIST).href);
      expect(readFileSync(paths.source, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown)).toEqual(records);
      // Plain node, as \`sabre run --job\` imports it (vitest would transform the module's text).
      const shape = execFileSync(process.execPath, ['--input-type=module', '-e', SHAPE_OF_MODULE, file], { encoding: 'utf8' });
      expect(JSON.parse(shape)).toEqual(planShape(planOfSpec(spec, paths)));
    }), { numRuns: 25 });
  });

  it('build plans the reference runs over random records, late ones included', () => {
    let late = 0;
    let outputs = 0;
    fc.assert(fc.property(pipelineArb.chain((spec) => fc.tuple(fc.constant(spec), recordsArb(spec.outOfOrderness))), ([spec, records]) => {
      expect(buildPipeline(spec, paths)).toHaveLength(spec.branches.length);
      const out = runReferencePipeline(planOfSpec(spec, paths), records,
        { partitions: 3, partitionOf: partitionOfKey(3) });
      expect(out.deadLetter).toEqual([]);
      late += out.late.length;
      outputs += out.sinks.get('')!.length;
      for (const r of out.late) expect(r.reason).toBe('late');
    }), { numRuns: 200 });
    // The generators are meant to produce both: outputs, and records past the bound and lateness.
    expect(late).toBeGreaterThan(0);
    expect(outputs).toBeGreaterThan(0);
  });
});
