import 'reflect-metadata';
import fc from 'fast-check';
import { ProblemException, validateStrict } from '@otl/platform';
import { storeOrder } from '@otl/testing';
import { isValidOrderCompleted, parseStoreWebhook } from './parse';
import { OrderCompletedDto } from './store-webhook.dto';

type Fields = Record<string, unknown>;
interface Body {
  type: string;
  data: Fields & { customer: Fields; items: Fields[] };
}

/** The contract's example delivery, as the store sends it. */
const order = (): Body => storeOrder('ST-100234') as Body;

/** What class-validator says of a body: accepted, or refused. */
function classValidatorTakes(body: object): boolean {
  try {
    validateStrict(OrderCompletedDto, body);
    return true;
  } catch (error) {
    if (error instanceof ProblemException) return false;
    throw error;
  }
}

const raw = (body: unknown) => Buffer.from(JSON.stringify(body));

describe('the compiled fast path for order.completed', () => {
  it('takes a well-formed order and gives the same order as class-validator', () => {
    const body = order();
    expect(isValidOrderCompleted(body)).toBe(true);
    expect(parseStoreWebhook(raw(body))).toEqual({
      kind: 'order',
      type: 'order.completed',
      order: body.data,
    });
    // class-validator's reading of the same body holds the same values.
    expect(JSON.parse(JSON.stringify(validateStrict(OrderCompletedDto, body)))).toEqual(body);
  });

  it.each([
    ['a missing company', (b: Body) => delete b.data.customer.company, true],
    ['a null company', (b: Body) => (b.data.customer.company = null), true],
    ['an empty company', (b: Body) => (b.data.customer.company = ''), false],
    ['an unknown field', (b: Body) => (b.data.note = 'x'), false],
    ['an unknown line field', (b: Body) => (b.data.items[0]!.note = 'x'), false],
    [
      '100 astral characters as orderId (200 UTF-16 units)',
      (b: Body) => (b.data.orderId = '😀'.repeat(100)),
      false,
    ],
    ['100 BMP characters as orderId', (b: Body) => (b.data.orderId = 'é'.repeat(100)), true],
    ['a day that does not exist', (b: Body) => (b.data.completedAt = '2026-02-30T10:00:00Z'), false],
    ['a code that is no currency', (b: Body) => (b.data.currency = 'ZZZ'), false],
    ['a zero-width space in the name', (b: Body) => (b.data.customer.name = 'Ana\u200bLima'), false],
    ['an address that is none', (b: Body) => (b.data.customer.email = 'ana@'), false],
    ['a fractional quantity', (b: Body) => (b.data.items[0]!.quantity = 1.5), false],
    ['no lines', (b: Body) => (b.data.items = []), false],
  ])('agrees with class-validator on %s', (_name, change, valid) => {
    const body = order();
    change(body);
    expect(classValidatorTakes(body)).toBe(valid);
    expect(isValidOrderCompleted(body)).toBe(valid);
  });

  it('never takes a body class-validator refuses, and gives the same order for those it takes', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 260 }),
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.constantFrom('', 'USD', 'ZZZ', 'a@b.co', '2026-11-27T10:00:00.5Z', '0069-01-01T00:00:00Z', '12.5'),
    );
    const value = fc.oneof(text, fc.integer(), fc.double(), fc.constant(null), fc.boolean());
    const fields = [
      'orderId',
      'completedAt',
      'currency',
      'total',
      'email',
      'name',
      'company',
      'sku',
      'quantity',
      'unitPrice',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), value, fc.constantFrom(...fields), value, (f1, v1, f2, v2) => {
        const body = order();
        for (const [field, v] of [
          [f1, v1],
          [f2, v2],
        ] as const) {
          if (['email', 'name', 'company'].includes(field)) body.data.customer[field] = v;
          else if (['sku', 'quantity', 'unitPrice'].includes(field)) body.data.items[0]![field] = v;
          else body.data[field] = v;
        }
        const fast = isValidOrderCompleted(body);
        const slow = classValidatorTakes(body);
        if (fast) expect(slow).toBe(true);
        // Everything the DTO takes here is plain data the schema also states, so both agree.
        expect(fast).toBe(slow);
      }),
      { numRuns: 3000 },
    );
  });
});
