/**
 * The UTF-8 byte-order mark (U+FEFF, EF BB BF), which some Windows tools
 * write at the start of a text file. It opens the text, not its first
 * record: NDJSON files, stdin, POST bodies and WS text frames skip it.
 */
export const BOM_BYTES = 3;

/** Does b[start, end) begin with a UTF-8 byte-order mark? */
export function hasBom(b: Uint8Array, start = 0, end = b.length): boolean {
  return end - start >= BOM_BYTES && b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf;
}
