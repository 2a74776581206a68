// Reads a record's event time and value — and, when asked, where its key
// string is — straight from the UTF-8 bytes of a JSON object (a Kafka
// message value, an NDJSON line of an ingest body) without decoding a
// string or building an object: one pass that validates the whole value as
// JSON and picks out the top-level fields. On the main thread, where a
// source's time goes, that pass costs less than JSON.parse alone.
//
// The contract is a fast path, never a second opinion: scan() returns true
// only when JSON.parse + RecordFields would accept the value with the same
// time and value. Anything else — invalid JSON, a time given as an ISO
// string, a missing or non-numeric field, an escaped member name, deep
// nesting, a key that is a number or has escapes or non-ASCII bytes (its
// bytes would not be the UTF-8 of the parsed string for sure) — returns false, and the
// caller takes the JSON.parse path, which also produces the dead-letter
// reason. Bytes ≥ 0x80 are accepted inside strings as they are: the UTF-8
// decoder behind JSON.parse turns invalid sequences into U+FFFD, never into
// structure.

const MAX_DEPTH = 64;
const MAX_EXACT = 2 ** 53;
/** Exact powers of ten as doubles (10^22 is the largest). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const enum Kind { Other = 0, Number = 1 }

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** b[start, end) as a string of one char per byte (the caller checked it is ASCII). */
function latin1(b: Uint8Array, start: number, end: number): string {
  if (Buffer.isBuffer(b)) return b.toString('latin1', start, end);
  let text = '';
  for (let p = start; p < end; p++) text += String.fromCharCode(b[p]!);
  return text;
}

/** Member names as bytes, or undefined when they cannot be matched byte-wise (escapes needed). */
function nameBytes(name: string): Uint8Array | undefined {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return undefined;
  }
  return new TextEncoder().encode(name);
}

export class JsonFieldScanner {
  /** The fields found by the last successful scan(); the key (with a key field) is bytes[keyStart, keyStart+keyLength). */
  time = 0;
  value = 0;
  keyStart = 0;
  keyLength = 0;
  private readonly timeName: Uint8Array | undefined;
  private readonly valueName: Uint8Array | undefined;
  /** Without a key field the key comes from elsewhere (a Kafka message key) and the value's key member is not looked at. */
  private readonly keyName: Uint8Array | undefined;
  private readonly wantsKey: boolean;
  // Scan state (fields, not locals, so helpers can advance them without returning pairs).
  private b: Uint8Array = new Uint8Array(0);
  private i = 0;
  /** End of the text being scanned in b. */
  private n = 0;
  private num = 0;

  constructor(timeField: string, valueField: string, private readonly needsValue: boolean, keyField?: string) {
    this.timeName = nameBytes(timeField);
    this.valueName = nameBytes(valueField);
    this.wantsKey = keyField !== undefined;
    this.keyName = keyField === undefined ? undefined : nameBytes(keyField);
  }

  /**
   * true: bytes[start, end) is a JSON object with a finite numeric time
   * field (and value field when needed, and a plain string key when a key
   * field was given); see the file comment.
   */
  scan(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (!this.timeName || !this.valueName || (this.wantsKey && !this.keyName)) return false;
    this.b = bytes;
    this.i = start;
    this.n = end;
    const b = bytes;
    const n = end;
    this.ws();
    if (this.i >= n || b[this.i] !== LBRACE) return false;
    this.i++;
    let timeOk = false;
    let keyOk = false;
    let keyStart = 0;
    let keyLength = 0;
    let valueSeen = false;
    let valueOk = false;
    let time = 0;
    let value = 0;
    this.ws();
    if (this.i < n && b[this.i] === RBRACE) {
      this.i++;
    } else {
      for (;;) {
        // member name
        if (this.i >= n || b[this.i] !== QUOTE) return false;
        const nameStart = this.i + 1;
        const nameEnd = this.plainString();
        if (nameEnd < 0) return false; // invalid, or escapes: let JSON.parse read it
        const isTime = this.nameIs(nameStart, nameEnd, this.timeName);
        const isValue = this.nameIs(nameStart, nameEnd, this.valueName);
        const isKey = this.keyName !== undefined && this.nameIs(nameStart, nameEnd, this.keyName);
        this.ws();
        if (this.i >= n || b[this.i] !== COLON) return false;
        this.i++;
        this.ws();
        let kind: number;
        if (isKey) {
          // Only a plain string key is taken (anything else: decline). Duplicate members: the last one counts, as for JSON.parse.
          if (this.i >= n || b[this.i] !== QUOTE) return false;
          keyStart = this.i + 1;
          const keyEnd = this.plainString(true);
          if (keyEnd < 0) return false;
          keyLength = keyEnd - keyStart;
          keyOk = true;
          kind = Kind.Other;
        } else {
          kind = this.anyValue(1, isTime || isValue);
        }
        if (kind < 0) return false;
        // Duplicate members: JSON.parse keeps the last one, and so do we.
        if (isTime) {
          timeOk = kind === Kind.Number && Number.isFinite(this.num);
          time = this.num;
        }
        if (isValue) {
          valueSeen = true;
          valueOk = kind === Kind.Number && Number.isFinite(this.num);
          value = this.num;
        }
        this.ws();
        if (this.i >= n) return false;
        const c = b[this.i]!;
        this.i++;
        if (c === RBRACE) break;
        if (c !== COMMA) return false;
        this.ws();
      }
    }
    this.ws();
    if (this.i !== n || !timeOk || (this.wantsKey && !keyOk)) return false;
    if (this.needsValue) {
      if (!valueSeen || !valueOk) return false;
      this.value = value;
    } else {
      this.value = valueOk ? value : 0;
    }
    this.time = time;
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    return true;
  }

  private ws(): void {
    const b = this.b;
    while (this.i < this.n && isWs(b[this.i]!)) this.i++;
  }

  private nameIs(start: number, end: number, name: Uint8Array): boolean {
    if (end - start !== name.length) return false;
    const b = this.b;
    for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
    return true;
  }

  /**
   * At a quote: skip a string without escapes — with `ascii`, of printable
   * ASCII only (its bytes are then its UTF-8 for sure); returns the index of
   * its closing quote, or -1.
   */
  private plainString(ascii = false): number {
    const b = this.b;
    const top = ascii ? 0x80 : 0x100;
    for (let j = this.i + 1; j < this.n; j++) {
      const c = b[j]!;
      if (c === QUOTE) {
        this.i = j + 1;
        return j;
      }
      if (c === BACKSLASH || c < 0x20 || c >= top) return -1;
    }
    return -1;
  }

  /** At a quote: skip any valid string; false if invalid. */
  private string(): boolean {
    const b = this.b;
    let j = this.i + 1;
    while (j < this.n) {
      const c = b[j]!;
      if (c === QUOTE) {
        this.i = j + 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c === BACKSLASH) {
        const e = b[j + 1];
        if (e === 0x75) { // \uXXXX
          if (j + 5 >= this.n || !isHex(b[j + 2]!) || !isHex(b[j + 3]!) || !isHex(b[j + 4]!) || !isHex(b[j + 5]!)) return false;
          j += 6;
          continue;
        }
        if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          j += 2;
          continue;
        }
        return false;
      }
      j++;
    }
    return false;
  }

  /** Any JSON value at i: its kind (this.num set for numbers when `want`), or -1 if invalid or too deep. */
  private anyValue(depth: number, want: boolean): number {
    const b = this.b;
    if (this.i >= this.n) return -1;
    const c = b[this.i]!;
    if (c === QUOTE) return this.string() ? Kind.Other : -1;
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number(want) ? Kind.Number : -1;
    if (c === LBRACE || c === LBRACKET) return depth >= MAX_DEPTH ? -1 : this.container(c === LBRACE, depth + 1);
    if (c === 0x74) return this.literal('true') ? Kind.Other : -1;
    if (c === 0x66) return this.literal('false') ? Kind.Other : -1;
    if (c === 0x6e) return this.literal('null') ? Kind.Other : -1;
    return -1;
  }

  private literal(word: string): boolean {
    const b = this.b;
    if (this.i + word.length > this.n) return false;
    for (let k = 0; k < word.length; k++) if (b[this.i + k] !== word.charCodeAt(k)) return false;
    this.i += word.length;
    return true;
  }

  /** A nested object or array (contents validated, not kept). */
  private container(isObject: boolean, depth: number): number {
    const b = this.b;
    const close = isObject ? RBRACE : RBRACKET;
    this.i++;
    this.ws();
    if (this.i < this.n && b[this.i] === close) {
      this.i++;
      return Kind.Other;
    }
    for (;;) {
      if (isObject) {
        if (this.i >= this.n || b[this.i] !== QUOTE || !this.string()) return -1;
        this.ws();
        if (this.i >= this.n || b[this.i] !== COLON) return -1;
        this.i++;
        this.ws();
      }
      if (this.anyValue(depth, false) < 0) return -1;
      this.ws();
      if (this.i >= this.n) return -1;
      const c = b[this.i]!;
      this.i++;
      if (c === close) return Kind.Other;
      if (c !== COMMA) return -1;
      this.ws();
    }
  }

  /**
   * A JSON number; this.num gets its value, exact as JSON.parse would give:
   * with a digit string below 2^53 and a decimal exponent within ±22, the
   * mantissa and the power of ten are exact doubles and one multiplication or
   * division rounds correctly (Clinger's fast path). Longer numbers (such as
   * the 17 digits of 183.48000000000002, one value in eight of the
   * generator's) go through Number() on their text, the same conversion
   * JSON.parse uses; a Buffer (Kafka values) gives that text in one call.
   */
  private number(want: boolean): boolean {
    const b = this.b;
    const start = this.i;
    let j = start;
    const neg = b[j] === MINUS;
    if (neg) j++;
    if (j >= this.n) return false;
    let mant = 0;
    let frac = 0;
    let c = b[j]!;
    if (c === ZERO) {
      j++;
    } else if (c >= 0x31 && c <= NINE) {
      while (j < this.n && (c = b[j]!) >= ZERO && c <= NINE) {
        mant = mant * 10 + (c - ZERO);
        j++;
      }
    } else {
      return false;
    }
    if (j < this.n && b[j] === DOT) {
      j++;
      const f0 = j;
      while (j < this.n && (c = b[j]!) >= ZERO && c <= NINE) {
        mant = mant * 10 + (c - ZERO);
        frac++;
        j++;
      }
      if (j === f0) return false;
    }
    let exp = 0;
    if (j < this.n && (b[j] === 0x65 || b[j] === 0x45)) {
      j++;
      let eneg = false;
      if (j < this.n && (b[j] === PLUS || b[j] === MINUS)) {
        eneg = b[j] === MINUS;
        j++;
      }
      const e0 = j;
      while (j < this.n && (c = b[j]!) >= ZERO && c <= NINE) {
        if (exp < 100_000) exp = exp * 10 + (c - ZERO);
        j++;
      }
      if (j === e0) return false;
      if (eneg) exp = -exp;
    }
    this.i = j;
    if (!want) return true;
    const k = exp - frac; // value = mant × 10^k
    let v: number;
    // Below 2^53 every partial mantissa was an exact integer too (they only grow); 2^53 itself may be a rounded 2^53 + 1.
    if (mant < MAX_EXACT && k >= -22 && k <= 22) {
      v = k >= 0 ? mant * POW10[k]! : mant / POW10[-k]!;
    } else {
      this.num = Number(latin1(b, start, j));
      return true;
    }
    this.num = neg ? -v : v;
    return true;
  }
}
