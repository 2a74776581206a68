import { SabreError } from '../errors.js';
import { loadUserAggregate, type UserAggregate } from '../state/user-aggregate.js';

/**
 * The --aggregate-module. resolveOptions() validated the --agg names (the
 * built-ins, and at most one other, only with --aggregate-module) and
 * loadUserAggregate() refuses a built-in name: what is left is the one check
 * that needs the module loaded, that its name is the one --agg asks for.
 */
export async function loadJobAggregate(url: string, aggregates: readonly string[]): Promise<UserAggregate> {
  const agg = await loadUserAggregate(url);
  if (!aggregates.includes(agg.name)) {
    throw new SabreError('ERR_INVALID_OPTION', `--aggregate-module exports "${agg.name}" but --agg (${aggregates.join(',')}) does not ask for it`);
  }
  return agg;
}
