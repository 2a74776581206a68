import type { ResolvedOptions } from '../options.js';
import type { Source } from './sources/source.js';
import type { LineSink } from './sinks/line-sink.js';
import type { SinkSettings } from './sinks/sink-settings.js';

export type { SinkSettings } from './sinks/sink-settings.js';
import type { IngestPort } from './sources/ingest-port.js';

/**
 * Sources and sinks that live in their own modules (and bring their own
 * dependencies, e.g. kafkajs), loaded only when a job names them.
 * A source module exports `createSource(spec, options, port)`; a sink module
 * exports `createSink(spec, options)`. The spec is the full `--source`/`--sink`
 * value, e.g. "kafka:trades".
 */
export interface SourceModule {
  /** `resume`: the source's position in the checkpoint being restored, if any. */
  createSource(spec: string, options: ResolvedOptions, port: IngestPort, resume?: unknown): Promise<Source>;
}

export interface SinkModule {
  createSink(spec: string, options: ResolvedOptions, settings?: SinkSettings): Promise<LineSink>;
}

const SOURCE_MODULES: Record<string, string> = { 'kafka:': './kafka/source/create-source.js' };
const SINK_MODULES: Record<string, string> = { 'kafka:': './kafka/sink/kafka-sink.js' };

function moduleFor(table: Record<string, string>, spec: string): string | undefined {
  for (const [prefix, path] of Object.entries(table)) {
    if (spec.startsWith(prefix) && spec.length > prefix.length) return new URL(path, import.meta.url).href;
  }
  return undefined;
}

export async function loadSourceModule(spec: string): Promise<SourceModule | undefined> {
  const url = moduleFor(SOURCE_MODULES, spec);
  return url ? ((await import(url)) as SourceModule) : undefined;
}

export async function loadSinkModule(spec: string): Promise<SinkModule | undefined> {
  const url = moduleFor(SINK_MODULES, spec);
  return url ? ((await import(url)) as SinkModule) : undefined;
}
