import type { ResolvedOptions } from '../options.js';
import { SabreError } from '../errors.js';
import type { RestorePoint } from '../checkpoint/manifest.js';
import type { Source } from '../io/sources/source.js';
import type { IngestPort } from '../io/sources/ingest-port.js';
import { loadSourceModule } from '../io/plugins.js';
import { builtinGenerator } from '../options/generator-keys.js';
import { GeneratorSource } from '../io/generator/generator-source.js';
import { NdjsonSource } from '../io/sources/ndjson-source.js';
import { jobGeneratorSource } from '../io/generator/job-records.js';
import { RowProjector } from '../codec/row-writer.js';
import type { LoadedJob } from '../job/plan.js';

/**
 * The run's --source, resumed at its position in the restored checkpoint:
 * a source module's (Kafka, writing through an ingest port opened with
 * `openIngest`), a built-in one, or none (api and http take records pushed
 * to the engine). With a job (--job), records are read as its fields
 * (a RowProjector; ports from `openIngest` carry their own).
 */
export async function openSource(o: ResolvedOptions, restored: RestorePoint | undefined, openIngest: (name: string) => IngestPort,
  httpListenPort: number | undefined, job?: LoadedJob): Promise<Source | undefined> {
  const sourceModule = await loadSourceModule(o.source);
  const resume = restored?.manifest.sources.find((s) => s.name === o.source)?.position;
  return sourceModule ? await sourceModule.createSource(o.source, o, openIngest(o.source), resume) : builtinSource(o, resume, httpListenPort, job);
}

function builtinSource(o: ResolvedOptions, position: unknown, httpListenPort: number | undefined, job: LoadedJob | undefined): Source | undefined {
  const nd = { keyField: o.key, timeField: o.time, valueField: o.value, needsValue: o.aggregates.some((a) => a !== 'count'),
    extractor: job ? RowProjector.of(job.plan) : undefined };
  if (o.source === 'api') return undefined;
  if (o.source === 'http') {
    // Push only: no loop of its own, so the run ends only at stop() (Ctrl-C); records come through the ingest routes' ports.
    if (o.httpPort === 0 && httpListenPort === undefined) {
      throw new SabreError('ERR_INVALID_OPTION', '--source http takes records only from POST /ingest and WS /ws/ingest: '
        + 'it needs the HTTP server; give --http-port a port (not 0)');
    }
    return undefined;
  }
  const resume = position as Record<string, number> | undefined;
  if (o.source === 'generator' && job) {
    const spec = job.plan.settings.source;
    if (spec.kind !== 'generator') {
      throw new SabreError('ERR_INVALID_OPTION', `--source generator: the job ${job.plan.module} reads ${spec.kind} records; `
        + 'the generator draws only its own kinds (give the job generator(\'card-txns\') or generator(\'market\'), or another --source)');
    }
    return jobGeneratorSource({
      kind: spec.generator, seed: o.seed, keys: o.keys, disorder: o.disorder, eventsPerMs: o.eventsPerMs,
      rate: o.rate, count: o.count, durationMs: o.duration, startAt: resume?.records ?? 0,
    }, job.plan);
  }
  if (o.source === 'generator') {
    return GeneratorSource.builtin({
      kind: builtinGenerator(o.generator, '--source generator without a job module'), seed: o.seed, keys: o.keys, keyBytes: o.keyBytes, disorder: o.disorder, eventsPerMs: o.eventsPerMs,
      rate: o.rate, count: o.count, durationMs: o.duration, startAt: resume?.records ?? 0,
    });
  }
  if (o.source === 'stdin') {
    if (resume) throw new SabreError('ERR_INVALID_OPTION', 'stdin cannot be rewound: a job reading stdin cannot restore from a checkpoint');
    return NdjsonSource.stdin(nd);
  }
  if (o.source.startsWith('file:') && o.source.length > 5) return NdjsonSource.file(o.source.slice(5), nd, resume as { bytes: number; lines: number } | undefined);
  throw new SabreError('ERR_INVALID_OPTION', `--source "${o.source}": use generator, file:PATH, stdin, kafka:TOPIC, http (or api from the library)`);
}
