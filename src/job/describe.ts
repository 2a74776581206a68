// A job run described in words, one way for every place that shows it: the
// run's first line (sabre run) and the job section of /api/stats and
// `sabre stats`.
import { formatWindow } from '../time/window-spec.js';
import type { Branch, JobPlan, StatelessStage } from './plan.js';

/** One branch's keyed stage: its window and aggregates (`sliding:1m/10s [n,total]`), `process`, or `stateless`. */
export function branchText(b: Branch): string {
  if (b.keyed?.kind === 'window') return `${formatWindow(b.keyed.window)} [${Object.keys(b.keyed.aggs).join(',')}]`;
  return b.keyed?.kind === 'process' ? 'process' : 'stateless';
}

/**
 * `job MODULE: SOURCE → BRANCH + BRANCH → SINK, NAME: TARGET…`: the source
 * and sinks as the run uses them (flags over the module's own), `named` the
 * named sinks' targets in the plan's order.
 */
export function jobPipelineText(plan: JobPlan, source: string, sink: string, named: readonly (readonly [string, string])[]): string {
  const branches = plan.branches.map(branchText).join(' + ');
  return `job ${plan.module}: ${source} → ${branches} → ${sink}${named.map(([n, t]) => `, ${n}: ${t}`).join('')}`;
}

/** One stage of a job as its counts are shown: which branch, the operation, where the job added it. */
export interface StageLabel {
  /** The branch (0-based, in export order). */
  readonly branch: number;
  /** `filter`, `map`, `lookup profiles.ndjson as profile`, `to bars`, the keyed stage's branchText, … */
  readonly text: string;
  /** The job file and line of the call that added it. */
  readonly where: string;
}

/**
 * Every stage whose output a run counts, in one fixed order: per branch,
 * its stages before the keyed stage, the keyed stage, the stages after it.
 * Workers count into the stage's slot of this order (src/metrics/counters.ts,
 * stage block), the main thread labels the slots with it.
 */
export function stageLabels(plan: JobPlan): StageLabel[] {
  const out: StageLabel[] = [];
  plan.branches.forEach((b, branch) => {
    for (const s of b.before) out.push({ branch, text: statelessText(s), where: s.where });
    if (b.keyed) out.push({ branch, text: branchText(b), where: b.keyed.where });
    for (const s of b.after) out.push({ branch, text: statelessText(s), where: s.where });
  });
  return out;
}

function statelessText(s: StatelessStage): string {
  switch (s.op) {
    case 'lookup':
      return `lookup ${s.table.source.kind === 'file' ? s.table.source.path : `kafka:${s.table.source.topic}`} as ${s.as}`;
    case 'to':
      return `to ${s.sink}`;
    default:
      return s.op;
  }
}
