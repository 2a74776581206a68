// `--job FILE`: the main thread imports the job module once, reads its plan,
// and hands every worker the URL to import the same module from. A .ts job
// is transpiled first (./transpile-job.ts); .mjs/.js jobs are imported as
// they are, unless 'sabre-stream' cannot be resolved from where they are. Every way a job can fail to load ends in ERR_INVALID_JOB naming
// the job file (and the line, where there is one), except a missing file,
// which is a bad --job option.
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SabreError } from '../errors.js';
import { exportedSettings, planOf, type LoadedJob } from '../job/plan.js';
import { inferFields } from '../job/infer-fields.js';
import type { SourceSpec } from '../job/sources.js';
import { PACKAGE_NAME, TS_EXTENSIONS, transpileJob } from './transpile-job.js';

/**
 * How a job whose source declares no fields gets them: `source` is the
 * --source text the run will read (the job's source, or the flag over it),
 * `sample` reads its first records (src/engine/sample-source.ts).
 */
export interface FieldInference {
  source: (job: SourceSpec) => string;
  sample: (source: string) => Promise<unknown[]>;
}

/**
 * Load the job module at `path` (relative to the working directory) and
 * check its plan. A source without fields is ERR_INVALID_JOB unless `infer`
 * says how to infer them.
 */
export async function loadJob(path: string, infer?: FieldInference): Promise<LoadedJob> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new SabreError('ERR_INVALID_OPTION', `--job ${path}: no such file`);
  // Stack traces of the job's functions name the .ts file and line (the workers turn this on too).
  process.setSourceMapsEnabled(true);
  let url: string;
  let originals: ReadonlyMap<string, string> = new Map();
  if (TS_EXTENSIONS.includes(extname(abs))) {
    const t = transpileJob(abs);
    url = t.url;
    originals = t.originals;
  } else {
    url = pathToFileURL(abs).href;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    // A .mjs job outside a project that installed this package cannot resolve 'sabre-stream' itself:
    // give it the same rewrite a .ts job gets (this package's own entry), and import that copy.
    if (originals.size > 0 || !cannotFindPackage(e)) throw importError(abs, e, originals);
    const t = transpileJob(abs);
    url = t.url;
    originals = t.originals;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (e2) {
      throw importError(abs, e2, originals);
    }
  }
  const source = exportedSettings(mod, abs)?.source;
  if (source === undefined || source.fields !== undefined || infer === undefined) return { plan: planOf(mod, abs), url };
  const from = infer.source(source);
  let inferred: NonNullable<LoadedJob['inferred']>;
  try {
    inferred = { ...inferFields(await infer.sample(from), source.time, from), from };
  } catch (e) {
    // Name the job, as every other error of a job that cannot run does.
    if (e instanceof SabreError && e.code === 'ERR_INVALID_JOB') throw new SabreError(e.code, `${abs}: ${e.message}`, { cause: e });
    throw e;
  }
  return { plan: planOf(mod, abs, inferred.fields), url, inferred };
}

function cannotFindPackage(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${PACKAGE_NAME}'`);
}

/**
 * An exception while importing the job (a throw at its top level, an import
 * that fails): the job file, the original message, and the first stack frame
 * in one of the job's files. Paths of transpiled copies read as the originals.
 */
function importError(file: string, e: unknown, originals: ReadonlyMap<string, string>): SabreError {
  if (e instanceof SabreError && e.code === 'ERR_INVALID_JOB') return e;
  const original = (text: string): string => {
    for (const [copy, orig] of originals) text = text.split(pathToFileURL(copy).href).join(orig).split(copy).join(orig);
    return text.replace(/file:\/\/(\/[^\s:)]+)/g, (_, p: string) => fileURLToPath(`file://${p}`));
  };
  const message = original((e as Error)?.message ?? String(e));
  const jobFiles = [file, ...originals.values(), ...originals.keys()];
  const frame = ((e as Error)?.stack ?? '').split('\n').slice(1)
    .map((l) => original(l.trim().replace(/^at\s+/, '')))
    .find((l) => jobFiles.some((f) => l.includes(f)));
  return new SabreError('ERR_INVALID_JOB', `${file}: importing the job failed: ${message}${frame ? ` (at ${frame})` : ''}`, { cause: e });
}
