import { ProblemException, type FieldError } from './problem';

/**
 * What one request body may hold. Each limit, when broken, is a 400 that names it; none of them
 * needs a recursive walk, so no body can exhaust the stack, and each stops the parse as soon as
 * it is crossed, so a hostile body costs no more than the bytes read up to that point.
 */
export interface JsonLimits {
  /** Nesting of objects and arrays; also bounds every later recursive step (class-transformer, class-validator). */
  maxDepth: number;
  /** Keys in one object. */
  maxKeys: number;
  /** Elements in one array. */
  maxElements: number;
  /** UTF-16 code units in one string (keys included). */
  maxStringLength: number;
  /** Values (objects, arrays, strings, numbers, literals) in the whole body: bounds the work per request. */
  maxValues: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({
  maxDepth: 32,
  maxKeys: 1000,
  maxElements: 1000,
  maxStringLength: 10_000,
  maxValues: 10_000,
});

/** Longest number literal read: 2^53 has 16 digits, and longer decimals only lose precision. */
const MAX_NUMBER_LITERAL = 64;

/**
 * Keys that, copied onto an object by any later step (class-transformer assigns each key, merges do
 * the same), would reach or replace its prototype. No body of ours has a use for them, so they are
 * refused outright rather than kept on null-prototype objects, which later steps copy onto ordinary ones.
 */
/** Keys no body may hold: they could reach an object's prototype on their way through a library. */
export const FORBIDDEN_JSON_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
const FORBIDDEN_KEYS = new Set(FORBIDDEN_JSON_KEYS);

const LIMIT_MESSAGES: Record<keyof JsonLimits, (limit: number) => string> = {
  maxDepth: (limit) => `nests deeper than ${limit} levels`,
  maxKeys: (limit) => `has more than ${limit} keys`,
  maxElements: (limit) => `has more than ${limit} elements`,
  maxStringLength: (limit) => `is longer than ${limit} characters`,
  maxValues: (limit) => `brings the body over ${limit} values`,
};

function limitExceeded(limit: keyof JsonLimits, value: number, field: string): ProblemException {
  const message = LIMIT_MESSAGES[limit](value);
  return new ProblemException(
    400,
    'body-limit-exceeded',
    'Request body exceeds a limit',
    `The body breaks the ${limit} limit (${value}): ${field || 'the body'} ${message}.`,
    { errors: [{ field, message }], limit: { name: limit, value } },
  );
}

function invalidBody(detail: string, field: string, message: string): ProblemException {
  const errors: FieldError[] = [{ field, message }];
  return new ProblemException(400, 'invalid-json', 'Request body is not valid JSON', detail, { errors });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and parses a JSON body under `limits`; every failure is a 400 problem. Never recursive. */
export function parseJsonBody(raw: Buffer | string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else {
    try {
      text = utf8.decode(raw); // strips one leading BOM, as RFC 8259 allows
    } catch {
      throw invalidBody('The body is not valid UTF-8.', '', 'must be UTF-8');
    }
  }
  return new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, limits).parse();
}

type Container = Record<string, unknown> | unknown[];

const WHITESPACE = new Uint8Array(128);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WHITESPACE[c] = 1;
/** A run of string characters that are neither the closing quote, a backslash nor a control character. */
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings: this stops at them
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const SIMPLE_ESCAPES: (string | undefined)[] = [];
for (const [letter, value] of Object.entries({
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
})) {
  SIMPLE_ESCAPES[letter.charCodeAt(0)] = value;
}

class Parser {
  private i = 0;
  private values = 0;
  /** Open containers, innermost last, with the key each object is waiting to fill and its key count. */
  private readonly stack: Container[] = [];
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];

  constructor(
    private readonly text: string,
    private readonly limits: JsonLimits,
  ) {}

  parse(): unknown {
    const { text, stack } = this;
    this.skipWhitespace();
    if (this.i >= text.length) {
      throw new ProblemException(
        400,
        'invalid-json',
        'Request body is not valid JSON',
        'The body is empty.',
        {
          errors: [{ field: '', message: 'body is required' }],
        },
      );
    }
    for (;;) {
      // A value starts here: either a scalar, an empty container, or the opening of one we descend into.
      let value: unknown;
      const c = text.charCodeAt(this.i);
      this.countValue();
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (stack.length >= this.limits.maxDepth) {
          throw limitExceeded('maxDepth', this.limits.maxDepth, this.path());
        }
        this.i++;
        this.skipWhitespace();
        const isObject = c === 0x7b;
        const container: Container = isObject ? {} : [];
        if (text.charCodeAt(this.i) === (isObject ? 0x7d : 0x5d)) {
          this.i++;
          value = container;
        } else {
          stack.push(container);
          this.keys.push('');
          this.counts.push(0);
          if (isObject) this.readKey();
          continue;
        }
      } else if (c === 0x22 /* " */) {
        value = this.readString();
      } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
        value = this.readNumber();
      } else if (text.startsWith('true', this.i)) {
        this.i += 4;
        value = true;
      } else if (text.startsWith('false', this.i)) {
        this.i += 5;
        value = false;
      } else if (text.startsWith('null', this.i)) {
        this.i += 4;
        value = null;
      } else {
        throw this.syntaxError(this.i >= text.length ? 'ends too early' : 'expected a value');
      }

      // A value is complete: store it in its container, then close containers or move to the next member.
      for (;;) {
        const top = stack.length - 1;
        if (top < 0) {
          this.skipWhitespace();
          if (this.i < text.length) throw this.syntaxError('has data after the JSON value');
          return value;
        }
        const container = stack[top] as Container;
        if (Array.isArray(container)) {
          if (container.length >= this.limits.maxElements) {
            throw limitExceeded('maxElements', this.limits.maxElements, this.path(top - 1));
          }
          container.push(value);
        } else {
          container[this.keys[top] as string] = value;
        }
        this.skipWhitespace();
        const next = text.charCodeAt(this.i);
        if (next === 0x2c /* , */) {
          this.i++;
          this.skipWhitespace();
          if (!Array.isArray(container)) this.readKey();
          break;
        }
        if (next === (Array.isArray(container) ? 0x5d : 0x7d)) {
          this.i++;
          stack.pop();
          this.keys.pop();
          this.counts.pop();
          value = container;
          continue;
        }
        throw this.syntaxError(
          Array.isArray(container) ? 'expected "," or "]" in an array' : 'expected "," or "}" in an object',
        );
      }
    }
  }

  /** Reads `"key":` for the innermost object, refusing duplicates, prototype keys and too many keys. */
  private readKey(): void {
    const top = this.stack.length - 1;
    const object = this.stack[top] as Record<string, unknown>;
    if (this.text.charCodeAt(this.i) !== 0x22) throw this.syntaxError('expected a key in quotes');
    const objectPath = this.path(top - 1);
    const key = this.readString(objectPath);
    const count = (this.counts[top] = (this.counts[top] ?? 0) + 1);
    if (count > this.limits.maxKeys) throw limitExceeded('maxKeys', this.limits.maxKeys, objectPath);
    const field = objectPath ? `${objectPath}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) {
      throw invalidBody(`The key "${key}" is not allowed.`, field, 'is not an allowed key');
    }
    if (Object.hasOwn(object, key)) {
      throw invalidBody(
        `The key "${key}" appears twice in ${objectPath || 'the body'}.`,
        field,
        'appears twice',
      );
    }
    this.keys[top] = key;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.i) !== 0x3a /* : */) throw this.syntaxError('expected ":" after a key');
    this.i++;
    this.skipWhitespace();
  }

  /** Reads the string at the cursor; `keyOf` is the path of the object when it is a key. */
  private readString(keyOf?: string): string {
    const { text } = this;
    const max = this.limits.maxStringLength;
    const field = () => keyOf ?? this.path();
    let out = '';
    let j = this.i + 1; // past the opening quote
    for (;;) {
      // The characters that need no attention, matched natively in one go.
      PLAIN_RUN.lastIndex = j;
      PLAIN_RUN.test(text);
      const runEnd = PLAIN_RUN.lastIndex;
      if (out.length + (runEnd - j) > max) throw limitExceeded('maxStringLength', max, field());
      out += text.slice(j, runEnd);
      j = runEnd;
      if (j >= text.length) {
        this.i = j;
        throw this.syntaxError('has a string that does not end');
      }
      const c = text.charCodeAt(j);
      if (c === 0x22) {
        this.i = j + 1;
        return out;
      }
      if (c !== 0x5c /* \ */) {
        this.i = j;
        throw this.syntaxError('has a control character that is not escaped in a string');
      }
      const escape = text.charCodeAt(j + 1);
      const simple = SIMPLE_ESCAPES[escape];
      if (simple !== undefined) {
        out += simple;
        j += 2;
      } else if (escape === 0x75 /* u */) {
        const unit = this.hex4(j + 2);
        if (unit === 0) {
          // PostgreSQL text and jsonb cannot hold U+0000, and no field of ours needs it.
          throw invalidBody('Strings must not contain U+0000.', field(), 'must not contain NUL characters');
        }
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.startsWith('\\u', j + 6) ? this.hex4(j + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) throw this.loneSurrogate(field());
          out += String.fromCharCode(unit, low);
          j += 12;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          throw this.loneSurrogate(field());
        } else {
          out += String.fromCharCode(unit);
          j += 6;
        }
      } else {
        this.i = j;
        throw this.syntaxError('has an invalid escape in a string');
      }
      if (out.length > max) throw limitExceeded('maxStringLength', max, field());
    }
  }

  private hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) {
      this.i = at;
      throw this.syntaxError('has an invalid \\u escape');
    }
    return parseInt(digits, 16);
  }

  private loneSurrogate(field: string): ProblemException {
    // Not text, and PostgreSQL's jsonb refuses it: better a 400 here than an error at the database.
    return invalidBody(
      'A string holds a lone UTF-16 surrogate.',
      field,
      'must not contain lone surrogate escapes',
    );
  }

  private readNumber(): number {
    const { text } = this;
    const start = this.i;
    let j = start;
    if (text.charCodeAt(j) === 0x2d) j++;
    const intStart = j;
    j = this.digits(j);
    if (j === intStart || (text.charCodeAt(intStart) === 0x30 && j - intStart > 1)) {
      this.i = intStart;
      throw this.syntaxError('has an invalid number');
    }
    let integer = true;
    if (text.charCodeAt(j) === 0x2e /* . */) {
      const fraction = j + 1;
      j = this.digits(fraction);
      if (j === fraction) {
        this.i = j;
        throw this.syntaxError('has an invalid number');
      }
      integer = false;
    }
    const mantissaEnd = j;
    const e = text.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      j++;
      const sign = text.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      const exponent = j;
      j = this.digits(exponent);
      if (j === exponent) {
        this.i = j;
        throw this.syntaxError('has an invalid number');
      }
      integer = false;
    }
    if (j - start > MAX_NUMBER_LITERAL) {
      throw invalidBody(
        `A number has more than ${MAX_NUMBER_LITERAL} characters.`,
        this.path(),
        `must be at most ${MAX_NUMBER_LITERAL} characters long`,
      );
    }
    const value = Number(text.slice(start, j));
    if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(text.slice(start, mantissaEnd)))) {
      throw invalidBody('A number is out of range.', this.path(), 'is out of range');
    }
    if (integer && !Number.isSafeInteger(value)) {
      // It would silently become another integer; send it as a string if it is an id.
      throw invalidBody(
        'An integer is beyond ±(2^53 - 1) and would lose precision.',
        this.path(),
        'is too large to be exact',
      );
    }
    this.i = j;
    return value;
  }

  private digits(from: number): number {
    let j = from;
    for (;;) {
      const c = this.text.charCodeAt(j); // NaN past the end
      if (!(c >= 0x30 && c <= 0x39)) return j;
      j++;
    }
  }

  private countValue(): void {
    if (++this.values > this.limits.maxValues) {
      throw limitExceeded('maxValues', this.limits.maxValues, this.path());
    }
  }

  private skipWhitespace(): void {
    const { text } = this;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c >= 128 || WHITESPACE[c] !== 1) return;
      this.i++;
    }
  }

  /** Where the parse is, as the problem's `errors[].field` names fields: `data.items[0].quantity`. */
  private path(depth = this.stack.length - 1): string {
    let path = '';
    for (let level = 0; level <= depth; level++) {
      const container = this.stack[level] as Container;
      if (Array.isArray(container)) path += `[${container.length}]`;
      else path += path ? `.${this.keys[level]}` : this.keys[level];
    }
    return path;
  }

  private syntaxError(what: string): ProblemException {
    return invalidBody(
      `The body is not valid JSON: it ${what} (at character ${this.i}).`,
      '',
      `${what} at character ${this.i}`,
    );
  }
}
