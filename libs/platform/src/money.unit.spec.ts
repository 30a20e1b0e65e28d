import { lineTotal, sameAmount } from './money';

describe('money', () => {
  it('sums quantity × unitPrice exactly, as decimal strings', () => {
    expect(
      lineTotal([
        { quantity: 2, unitPrice: '1249.00' },
        { quantity: 1, unitPrice: '899.00' },
      ]),
    ).toBe('3397.00');
    expect(lineTotal([{ quantity: 3, unitPrice: '0.1' }])).toBe('0.3');
    expect(lineTotal([{ quantity: 100000, unitPrice: '999999999999999.9999' }])).toBe(
      '99999999999999999990.0000',
    );
    expect(lineTotal([{ quantity: 7, unitPrice: '1000' }])).toBe('7000');
    expect(
      lineTotal([
        { quantity: 1, unitPrice: '0.0001' },
        { quantity: 1, unitPrice: '0.9999' },
      ]),
    ).toBe('1.0000');
  });

  it('compares amounts, not spellings', () => {
    expect(sameAmount('2498', '2498.00')).toBe(true);
    expect(sameAmount('2498.0001', '2498.00')).toBe(false);
    expect(sameAmount('0', '0.0000')).toBe(true);
  });
});
