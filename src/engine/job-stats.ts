// The job section of a --job run's stats (/api/stats, `sabre stats`): what
// runs, described as the run line describes it, what each stage passed on,
// and its outputs per sink.
import { branchText, jobPipelineText, stageLabels } from '../job/describe.js';
import { DEFAULT_SINK, type JobPlan } from '../job/plan.js';
import type { JobStats } from '../metrics/stats-snapshot.js';
import type { JobOutputs } from './job-outputs.js';
import { W_LOOKUP_RELOAD_ERRORS, type Counters } from '../metrics/counters.js';

/**
 * A reader of the run's job figures. `source` and `sink` are the run's own
 * (flags over the module's), `named` the named sinks' targets in the plan's
 * order (namedSinkTargets). The text parts are built once; the counts are read per call.
 */
export function jobStatsReader(plan: JobPlan, source: string, sink: string, named: readonly (readonly [string, string])[],
  outputs: JobOutputs, counters: Counters): () => JobStats {
  const pipeline = jobPipelineText(plan, source, sink, named);
  const branches = plan.branches.map(branchText);
  const stages = stageLabels(plan);
  const targets = new Map<string, string>([[DEFAULT_SINK, sink], ...named]);
  // The default sink first, then the named ones in the plan's order; each with its index into outputs.outputs.
  const order = [DEFAULT_SINK, ...named.map(([n]) => n)].map((name) => ({ name, index: plan.sinkNames.indexOf(name) }));
  return () => ({
    module: plan.module,
    pipeline,
    branches: [...branches],
    stages: stages.map((l, i) => ({ branch: l.branch, stage: l.text, where: l.where, out: counters.sumStage(i) })),
    sinks: order.map(({ name, index }) => ({ name, target: targets.get(name)!, outputs: index >= 0 ? outputs.outputs[index]! : 0 })),
    userFunctionDeadLetters: outputs.userFunctionDeadLetters,
    lookupReloadErrors: counters.sumWorkers(W_LOOKUP_RELOAD_ERRORS),
  });
}
