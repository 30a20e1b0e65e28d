import { DEFAULT_JSON_LIMITS, parseJsonBody, type JsonLimits } from './json-body';
import { ProblemException } from './problem';

function refusal(body: Buffer | string, limits?: JsonLimits) {
  try {
    parseJsonBody(body, limits);
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    return error.toProblem();
  }
  throw new Error(`accepted ${String(body).slice(0, 80)}`);
}

describe('parseJsonBody', () => {
  it.each([
    '{"type":"order.completed","data":{"items":[{"sku":"A","quantity":2}],"total":"1.00"}}',
    ' [1, -2.5, 3e2, 0, -0, 1E-3, true, false, null, "", {}, []] ',
    '"a \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 end"',
    '{"hasOwnProperty":1,"toString":"x","valueOf":[]}',
    '\ufeff{"bom":true}',
    '9007199254740991',
    '{"a":{"b":{"c":[[[{"d":"é漢字😀"}]]]}}}',
  ])('reads %s exactly as JSON.parse does', (text) => {
    expect(parseJsonBody(Buffer.from(text))).toEqual(JSON.parse(text.replace(/^\ufeff/, '')));
  });

  it('reads every value of a large document the way JSON.parse does', () => {
    const doc = {
      rows: Array.from({ length: 500 }, (_, i) => ({ i, name: `row ${i} ✓`, ok: i % 2 === 0, v: i / 7 })),
    };
    const text = JSON.stringify(doc);
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
  });

  it('refuses 100,000 nested arrays at depth 32 without recursion, naming the limit', () => {
    const problem = refusal('['.repeat(100_000) + ']'.repeat(100_000));
    expect(problem).toMatchObject({
      status: 400,
      type: expect.stringMatching(/body-limit-exceeded$/),
      limit: { name: 'maxDepth', value: 32 },
    });
    expect(problem.detail).toContain('maxDepth');
  });

  it('accepts exactly the depth limit and refuses one more', () => {
    const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '[]' + '}'.repeat(depth - 1);
    expect(() => parseJsonBody(nested(32))).not.toThrow();
    expect(refusal(nested(33)).limit).toEqual({ name: 'maxDepth', value: 32 });
    expect(refusal(nested(33)).errors).toEqual([
      { field: 'a'.concat('.a'.repeat(31)), message: 'nests deeper than 32 levels' },
    ]);
  });

  it('refuses wide arrays and objects, long strings and too many values', () => {
    const limits = { ...DEFAULT_JSON_LIMITS, maxValues: 100_000 };
    expect(refusal(`{"data":[${'0,'.repeat(1000)}0]}`, limits)).toMatchObject({
      limit: { name: 'maxElements', value: 1000 },
      errors: [{ field: 'data', message: 'has more than 1000 elements' }],
    });
    const keys = Array.from({ length: 1001 }, (_, i) => `"k${i}":0`).join(',');
    expect(refusal(`{"x":{${keys}}}`, limits)).toMatchObject({
      limit: { name: 'maxKeys', value: 1000 },
      errors: [{ field: 'x' }],
    });
    expect(refusal(`{"name":"${'x'.repeat(10_001)}"}`)).toMatchObject({
      limit: { name: 'maxStringLength', value: 10_000 },
      errors: [{ field: 'name' }],
    });
    expect(() => parseJsonBody(`{"name":"${'x'.repeat(10_000)}"}`)).not.toThrow();
    expect(refusal(`{"${'k'.repeat(10_001)}":1}`).limit).toEqual({ name: 'maxStringLength', value: 10_000 });
    const many = `[${Array.from({ length: 20 }, () => `[${'0,'.repeat(999)}0]`).join(',')}]`;
    expect(refusal(many)).toMatchObject({ limit: { name: 'maxValues', value: 10_000 } });
  });

  it('refuses a repeated key, naming it', () => {
    expect(refusal('{"data":{"email":"a@b.c","email":"x@y.z"}}')).toMatchObject({
      type: expect.stringMatching(/invalid-json$/),
      errors: [{ field: 'data.email', message: 'appears twice' }],
    });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s anywhere', (key) => {
    const problem = refusal(`{"a":[{"${key}":{"isAdmin":true}}]}`);
    expect(problem.errors).toEqual([{ field: `a[0].${key}`, message: 'is not an allowed key' }]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it.each([
    ['1e400', 'is out of range'],
    ['-1e400', 'is out of range'],
    ['1e-400', 'is out of range'],
    ['9007199254740993', 'is too large to be exact'],
    ['-9007199254740993', 'is too large to be exact'],
    ['1' + '0'.repeat(70), 'must be at most 64 characters long'],
  ])('refuses the number %s', (number, message) => {
    expect(refusal(`{"quantity":${number}}`).errors).toEqual([{ field: 'quantity', message }]);
  });

  it.each([
    ['NaN', '{"q":NaN}'],
    ['Infinity', '{"q":Infinity}'],
    ['a trailing comma', '[1,]'],
    ['a trailing comma in an object', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['a leading zero', '[01]'],
    ['an unescaped control character', '["a\u0001b"]'],
    ['an unterminated string', '{"a":"b'],
    ['a bad escape', '["\\x41"]'],
    ['a short \\u escape', '["\\u12"]'],
    ['two values', '{} {}'],
    ['a bare word', 'nul'],
    ['an unclosed array', '[1,2'],
    ['a comment', '{"a":1 /* x */}'],
    ['a lone minus', '-'],
    ['a number ending in a point', '1.'],
    ['a number ending in an exponent sign', '1e+'],
  ])('refuses %s as invalid JSON', (_name, text) => {
    expect(refusal(text)).toMatchObject({ status: 400, type: expect.stringMatching(/invalid-json$/) });
  });

  it('refuses an empty or blank body', () => {
    expect(refusal('').errors).toEqual([{ field: '', message: 'body is required' }]);
    expect(refusal(' \r\n\t').errors).toEqual([{ field: '', message: 'body is required' }]);
  });

  it('refuses invalid UTF-8, NUL and lone surrogates', () => {
    expect(refusal(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])).errors).toEqual(
      [{ field: '', message: 'must be UTF-8' }],
    );
    expect(refusal(Buffer.from('["\xed\xa0\x80"]', 'latin1')).errors).toEqual([
      { field: '', message: 'must be UTF-8' },
    ]);
    expect(refusal('{"name":"a\\u0000b"}').errors).toEqual([
      { field: 'name', message: 'must not contain NUL characters' },
    ]);
    expect(refusal('{"name":"\\ud800"}').errors).toEqual([
      { field: 'name', message: 'must not contain lone surrogate escapes' },
    ]);
    expect(refusal('{"name":"\\udc00x"}').errors).toEqual([
      { field: 'name', message: 'must not contain lone surrogate escapes' },
    ]);
    expect(refusal('{"name":"\\ud800\\u0041"}').errors).toEqual([
      { field: 'name', message: 'must not contain lone surrogate escapes' },
    ]);
  });
});
