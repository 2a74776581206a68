import { optionsHelp, type OptionName } from '../options.js';
import { GENERATE_DEFAULTS } from './generate-command.js';

/**
 * Usage of every command, answered to `--help`/`-h` before anything is
 * opened. Option lines come from OPTION_SPECS (optionsHelp); a command lists
 * the options it reads.
 */

const UNITS = 'Durations accept 500, 500ms, 2s, 1m. Sizes accept 65536, 64KiB, 4MiB.';

/** Options `sabre generate` reads. */
const GENERATE_OPTIONS: readonly OptionName[] = ['count', 'keys', 'keyBytes', 'generator', 'seed', 'disorder', 'eventsPerMs'];
/** Options `sabre produce` reads. */
const PRODUCE_OPTIONS: readonly OptionName[] = ['brokers', 'format', 'count', 'rate', 'keys', 'generator', 'seed', 'disorder', 'eventsPerMs', 'progress'];

export const STATS_DEFAULT_URL = 'http://127.0.0.1:8080';

export const PRODUCE_SYNOPSIS = 'usage: sabre produce TOPIC [--count N] [--rate R] [--keys K] [--seed S] [--format json|flatbuffers] [--brokers HOST:PORT]';

const COMMANDS = `Commands:
  run        run a windowed job (default source: the built-in generator), or a job module: sabre run --job FILE
  generate   print generator records as NDJSON (for file:/stdin demos)
  produce    write generator records to a Kafka topic: sabre produce TOPIC --rate R --count N --keys K
  stats      print the live figures of a running job (--url ${STATS_DEFAULT_URL})
  bench      benchmarks: sabre bench <scenario> [--smoke] [--repeat N] (see docs/BENCHMARKS.md)
  help       this text; sabre help COMMAND (or sabre COMMAND --help) for one command`;

function runUsage(): string {
  return `Usage: sabre run [--config job.json] [options]
       sabre run --job FILE [options]

Runs a windowed job until its source ends (a file, stdin, --count) or Ctrl-C.
--config takes the same options as a JSON object (camelCase names); flags override it.
--job runs a pipeline module (.mjs, .js or .ts importing 'sabre-stream'): it defines the
key, windows and aggregates; its source, sinks and time bounds apply unless flags give them.

Options:
${optionsHelp()}

${UNITS}`;
}

const USAGES: Record<string, () => string> = {
  run: runUsage,
  generate: () => `Usage: sabre generate [options]

Prints the generator's records as NDJSON on stdout: the sequence --source generator feeds a job.
--generator card-txns or market prints the records a job module's generator(kind) draws
(their fields only, event time \`at\` in epoch ms), for a job reading a file or stdin.

Options:
${optionsHelp(GENERATE_OPTIONS, GENERATE_DEFAULTS)}`,
  produce: () => `Usage: sabre produce TOPIC [options]

Writes the generator's records to Kafka topic TOPIC (created with 8 partitions if missing),
keyed by record key, --count records (0 = until Ctrl-C) at --rate records/s (0 = as fast as possible).
--generator card-txns or market writes the records a job module's generator(kind) draws as JSON,
keyed by card or symbol, for a job reading kafka(TOPIC).

Options:
${optionsHelp(PRODUCE_OPTIONS)}`,
  stats: () => `Usage: sabre stats [--url URL]

Prints the live figures of a running job (its /api/stats) as tables.

Options:
  --url   the job's HTTP server [${STATS_DEFAULT_URL}]`,
};

/** `sabre help` / `sabre --help`: the commands, then run's options. */
export function generalUsage(): string {
  return `Usage: sabre <command> [options]

${COMMANDS}

sabre run [--config job.json] [options]
sabre run --job FILE [options]
${optionsHelp()}

${UNITS}`;
}

/** A command's usage; undefined for one without its own (bench prints its own). */
export function commandUsage(cmd: string): string | undefined {
  return USAGES[cmd]?.();
}

/** `--help` or `-h` anywhere among a command's arguments. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
