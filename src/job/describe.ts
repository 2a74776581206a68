// A job run described in words, one way for every place that shows it: the
// run's first line (sabre run) and the job section of /api/stats and
// `sabre stats`.
import { formatWindow } from '../time/window-spec.js';
import type { Branch, JobPlan } from './plan.js';

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
