// What of a job module shapes its state, as JSON: the fields it reads, its
// time field and key, and per branch its window and aggregates or its
// process function's state declarations. A checkpoint's job fingerprint
// (checkpoint/manifest.ts) includes it, so a checkpoint of a job whose state
// has another shape — an aggregate added, a window changed, a state renamed —
// is refused before anything runs, not read as this job's. The user's
// functions' code is left out: a changed threshold in a filter or rule keeps
// the state's meaning.
import type { JobPlan } from './plan.js';

export function planShape(plan: JobPlan): string {
  const key = plan.key.kind === 'fields' ? plan.key.fields : plan.key.kind;
  const branches = plan.branches.map((b) => {
    const k = b.keyed;
    if (k === undefined) return null;
    if (k.kind === 'window') {
      const aggs = Object.entries(k.aggs).map(([name, a]) => [name, a.kind,
        a.field ?? (a.custom !== undefined ? 'custom' : a.expr !== undefined ? 'expression' : null), a.param ?? null, a.precision ?? null]);
      return { window: k.window, aggs };
    }
    const state = Object.entries((k.fn.state ?? {}) as Record<string, { kind: string }>).map(([name, d]) => [name, d.kind]);
    return { process: state };
  });
  return JSON.stringify({ fields: plan.fields.map((f) => [f.name, f.type]), time: plan.timeField, key, branches });
}
