// --job: the job module supplies the source, sinks, time settings, key and
// windows. The options that describe the built-in window aggregate have no
// meaning beside it (giving one is an error); the ones that say where data
// comes from and goes, and the time bounds, default to the job's and a flag
// given explicitly (command line or --config) overrides it. An option was
// given explicitly exactly when it is present in the raw options.
import type { JobPlan } from '../job/plan.js';
import type { SourceSpec } from '../job/sources.js';
import { DEFAULT_SINK } from '../job/plan.js';
import { sinkTarget } from '../job/sinks.js';
import { bad } from './flags.js';

type Raw = Record<string, string | number | boolean | undefined>;

/** Options a job module defines (its key, time field, windows and aggregates). */
export const JOB_DEFINED = ['key', 'time', 'value', 'agg', 'window', 'aggregateModule'] as const;

/** The generator record kinds of job modules (src/job/sources.ts GENERATOR_FIELDS), as --generator values. */
export const JOB_GENERATORS = ['card-txns', 'market'] as const;

/**
 * With --job, the options the job defines are refused; --on-user-error applies
 * to jobs only. The job generator kinds are accepted everywhere: `sabre
 * generate` and `sabre produce` write them for jobs to read, and a run without
 * a job refuses them where it would draw them (src/engine/source-factory.ts).
 */
export function checkJobFlags(raw: Raw): void {
  const job = raw.job;
  if (job === undefined) {
    if (raw.onUserError !== undefined) bad('onUserError', 'applies to job modules only (--job FILE); leave it out');
    if (raw.sinks !== undefined) bad('sinks', 'replaces a job module\'s named sinks: it applies with --job FILE only');
    return;
  }
  for (const name of JOB_DEFINED) {
    if (raw[name] !== undefined) {
      bad(name, `the job module ${String(job)} defines it (its source fields, keyBy, window and aggregates); `
        + 'leave this option out and change the job instead');
    }
  }
}

/** The options a generator source of a job may fix (SourceSpec 'generator'). */
const GENERATOR_SETTINGS = ['generator', 'keys', 'rate', 'count', 'seed', 'eventsPerMs', 'disorder'] as const;

/** The --source text a run of a job with source `s` reads: `given` (the --source flag) if any, else the job's own. */
export function jobSourceText(s: SourceSpec, given: string | undefined): string {
  return given ?? String(sourceOptions(s).source);
}

/** The --source text of a job's source, and the generator settings it fixes. */
function sourceOptions(s: SourceSpec): Raw {
  switch (s.kind) {
    case 'generator':
      return {
        source: 'generator', generator: s.generator, keys: s.keys, rate: s.rate, count: s.count, seed: s.seed,
        eventsPerMs: s.eventsPerMs, disorder: s.disorder,
      };
    case 'file': return { source: `file:${s.path}` };
    case 'kafka': return { source: `kafka:${s.topic}` };
    case 'stdin': return { source: 'stdin' };
    case 'http': return { source: 'http' };
  }
}

/**
 * The raw options of a run of `plan`: the job's source, default sink, time
 * settings and --on-user-error, under every option given explicitly.
 * `job` becomes the module's path (ResolvedOptions.job, for messages).
 */
export function jobOptions(raw: Raw, plan: JobPlan): Raw {
  const s = plan.settings;
  const fromJob: Raw = {
    ...sourceOptions(s.source),
    sink: sinkTarget(plan.sinks[DEFAULT_SINK]!),
    outOfOrderness: s.outOfOrderness,
    allowedLateness: s.allowedLateness,
    onUserError: s.onUserError,
  };
  // The generator's settings apply only when the generator is the source (an overriding --source file:... ignores them).
  const givenSource = raw.source;
  if (givenSource !== undefined && givenSource !== 'generator') {
    for (const k of GENERATOR_SETTINGS) delete fromJob[k];
  }
  const out: Raw = {};
  for (const [k, v] of Object.entries(fromJob)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = v;
  out.job = plan.module;
  return out;
}

/**
 * The named sinks of a run of `plan` as [name, --sink text] pairs: the job's,
 * each replaced by --sinks NAME=TARGET when given. A name the job does not
 * declare is refused (a typo would otherwise write nowhere new, silently).
 */
export function namedSinkTargets(plan: JobPlan, sinks: string): (readonly [string, string])[] {
  const names = plan.sinkNames.filter((n) => n !== DEFAULT_SINK);
  const given = new Map<string, string>();
  for (const part of sinks.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) bad('sinks', `"${part}": use NAME=TARGET (e.g. features=file:/tmp/features.ndjson)`);
    const name = part.slice(0, eq);
    if (!names.includes(name)) {
      bad('sinks', `the job ${plan.module} has no sink "${name}"` + (names.length ? ` (its named sinks: ${names.join(', ')})` : ' (it declares no named sinks)'));
    }
    given.set(name, part.slice(eq + 1));
  }
  return names.map((n) => [n, given.get(n) ?? sinkTarget(plan.sinks[n]!)] as const);
}
