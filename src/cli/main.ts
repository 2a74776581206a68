import { readFileSync } from 'node:fs';
import { SabreError } from '../errors.js';
import { OPTION_SPECS, camel, type RawOptions } from '../options.js';
import { STATS_DEFAULT_URL, commandUsage, generalUsage, wantsHelp } from './usage.js';
import { runCommand } from './run-command.js';
import { generateCommand } from './generate-command.js';

/** Parse `--name value` / `--name=value` pairs; `--config FILE` merges a JSON file under them. */
export function parseArgs(args: string[]): RawOptions {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new SabreError('ERR_INVALID_OPTION', `unexpected argument "${a}"; options look like --name value`);
    const eq = a.indexOf('=');
    const name = camel(eq > 0 ? a.slice(2, eq) : a.slice(2));
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new SabreError('ERR_INVALID_OPTION', `--${a.slice(2)} needs a value`);
      }
      value = next;
      i++;
    }
    if (name !== 'config' && !(name in OPTION_SPECS)) {
      throw new SabreError('ERR_INVALID_OPTION', `unknown option --${a.slice(2).split('=')[0]}; see \`sabre help\``);
    }
    flags[name] = value;
  }
  let fromFile: RawOptions = {};
  if (flags.config !== undefined) {
    const path = flags.config;
    delete flags.config;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new SabreError('ERR_INVALID_OPTION', `--config ${path}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SabreError('ERR_INVALID_OPTION', `--config ${path} is not valid JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SabreError('ERR_INVALID_OPTION', `--config ${path} must hold a JSON object of options, e.g. {"window": "tumbling:1s"}`);
    }
    fromFile = configOptions(parsed as Record<string, unknown>, path); // resolveOptions validates every key and value
  }
  return { ...fromFile, ...flags } as RawOptions;
}

/**
 * A --config object's keys are the options' camelCase names; the flag
 * spelling (kebab-case, "out-of-orderness") names the same option. Naming one
 * option both ways is an error. Values are left to resolveOptions (which
 * also rejects null: leave an option out to get its default).
 */
function configOptions(obj: Record<string, unknown>, path: string): RawOptions {
  const out: Record<string, unknown> = {};
  const spelled: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = k.includes('-') && camel(k) in OPTION_SPECS ? camel(k) : k;
    if (spelled[name] !== undefined) {
      throw new SabreError('ERR_INVALID_OPTION', `--config ${path}: "${spelled[name]}" and "${k}" are the same option; keep one`);
    }
    spelled[name] = k;
    out[name] = v;
  }
  return out as RawOptions;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // --help/-h is answered before anything is parsed or opened (no broker, no server is contacted); bench answers its own (bin/sabre.js).
  const usage = cmd === undefined ? undefined : commandUsage(cmd);
  if (usage !== undefined && wantsHelp(rest)) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  switch (cmd) {
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(generalUsage() + '\n');
      return 0;
    case 'help': {
      // `sabre help COMMAND`: that command's usage.
      const usage = rest[0] !== undefined ? commandUsage(rest[0]) : undefined;
      process.stdout.write((usage ?? generalUsage()) + '\n');
      return 0;
    }
    case 'run':
      return runCommand(parseArgs(rest));
    case 'generate':
      return generateCommand(parseArgs(rest));
    case 'produce': {
      // Loaded on demand: it brings kafkajs.
      const produceModule = './produce-command.js';
      const { produceCommand } = (await import(produceModule)) as { produceCommand(raw: RawOptions, topic: string | undefined): Promise<number> };
      const topic = rest[0] && !rest[0].startsWith('--') ? rest.shift() : undefined;
      return produceCommand(parseArgs(rest), topic);
    }
    case 'bench':
      // The benchmarks are not part of the library (bench/ is compiled to dist/bench/): bin/sabre.js runs
      // `sabre bench` before it calls main(), so only a caller of main() itself gets here.
      process.stderr.write('sabre bench: run it as `npx sabre bench <scenario>` or `npm run bench -- <scenario>` '
        + '(node dist/bench/sabre-bench.js); see docs/BENCHMARKS.md\n');
      return 2;
    case 'stats': {
      const { statsCommand } = await import('./stats-command.js');
      const at = rest.indexOf('--url');
      const url = at >= 0 && rest[at + 1] ? rest[at + 1]! : STATS_DEFAULT_URL;
      process.stdout.write(await statsCommand({ url }));
      return 0;
    }
    default:
      process.stderr.write(`sabre: unknown command "${cmd}"\n\n${generalUsage()}\n`);
      return 2;
  }
}
