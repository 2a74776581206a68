import { SabreError } from '../errors.js';

/** outOfOrderness → out-of-orderness: an option's flag spelling. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** out-of-orderness → outOfOrderness: an option's name from its flag. */
export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** ERR_INVALID_OPTION naming the option by its flag. */
export function bad(name: string, msg: string): never {
  throw new SabreError('ERR_INVALID_OPTION', `--${kebab(name)}: ${msg}`);
}
