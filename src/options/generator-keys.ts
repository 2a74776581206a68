// The generator's key names ("SYM123", "CARD7"), declared below io/ because
// option validation needs them (--key-bytes may not shorten a key);
// io/generator/trade-model.ts draws keys with them.

import { bad } from './flags.js';

export type GeneratorKind = 'trades' | 'cards';

/** The byte that pads keys to --key-bytes: not a digit, so a padded key still names exactly one key index. */
export const KEY_PAD = '_';

export const KEY_PREFIX: Record<GeneratorKind, string> = { trades: 'SYM', cards: 'CARD' };

/** Bytes of the longest unpadded key of `keys` keys: the least --key-bytes can be. */
export function longestKeyBytes(kind: GeneratorKind, keys: number): number {
  return KEY_PREFIX[kind].length + String(Math.max(0, keys - 1)).length;
}

/** The built-in record kinds (the others of --generator are job modules' kinds, drawn for --job runs). */
export function isBuiltinGenerator(kind: string): kind is GeneratorKind {
  return Object.hasOwn(KEY_PREFIX, kind);
}

/** `kind` as a built-in record kind; a job module's kind (card-txns, market) is refused where only those are drawn. */
export function builtinGenerator(kind: string, where: string): GeneratorKind {
  if (isBuiltinGenerator(kind)) return kind;
  return bad('generator', `${kind} records are drawn for job modules (--job) only; ${where} draws ${Object.keys(KEY_PREFIX).join(' or ')}`);
}
