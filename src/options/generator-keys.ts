// The generator's key names ("SYM123", "CARD7"), declared below io/ because
// option validation needs them (--key-bytes may not shorten a key);
// io/generator/trade-model.ts draws keys with them.

export type GeneratorKind = 'trades' | 'cards';

/** The byte that pads keys to --key-bytes: not a digit, so a padded key still names exactly one key index. */
export const KEY_PAD = '_';

export const KEY_PREFIX: Record<GeneratorKind, string> = { trades: 'SYM', cards: 'CARD' };

/** Bytes of the longest unpadded key of `keys` keys: the least --key-bytes can be. */
export function longestKeyBytes(kind: GeneratorKind, keys: number): number {
  return KEY_PREFIX[kind].length + String(Math.max(0, keys - 1)).length;
}
