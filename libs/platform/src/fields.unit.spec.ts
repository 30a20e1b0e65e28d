import { validateSync } from 'class-validator';
import {
  IsCurrencyCode,
  IsEmailAddress,
  IsPlainText,
  isCurrencyCode,
  isEmailAddress,
  isPlainText,
} from './fields';

class Sample {
  @IsCurrencyCode() currency!: unknown;
  @IsEmailAddress() email!: unknown;
  @IsPlainText(1, 20) name!: unknown;
  @IsPlainText(1, 20, { optional: true }) company?: unknown;
}

const failures = (values: Partial<Sample>) => {
  const sample = Object.assign(new Sample(), {
    currency: 'EUR',
    email: 'a@example.com',
    name: 'Ana',
    ...values,
  });
  return validateSync(sample).map((error) => [error.property, Object.values(error.constraints ?? {})[0]]);
};

describe('shared field rules', () => {
  it('accepts ISO 4217 codes from the runtime list and nothing else', () => {
    for (const code of ['USD', 'EUR', 'JPY', 'CHF']) expect(isCurrencyCode(code)).toBe(true);
    for (const code of ['ZZZ', 'usd', 'US', 'USDX', '', 42]) expect(isCurrencyCode(code)).toBe(false);
    expect(failures({ currency: 'ZZZ' })).toEqual([
      ['currency', 'must be an ISO 4217 currency code like USD'],
    ]);
  });

  it('accepts addresses the event schema also accepts', () => {
    for (const email of ['Ana.Lima@Example.com', 'a+tag@sub.example.co.uk'])
      expect(isEmailAddress(email)).toBe(true);
    for (const email of [
      'josé@example.com', // class-validator would accept it; the event schema would not
      ' ana@example.com',
      'ana@',
      'ana\u200b@example.com',
      `${'a'.repeat(250)}@example.com`,
    ]) {
      expect(isEmailAddress(email)).toBe(false);
    }
    expect(failures({ email: 'nope' })).toEqual([['email', 'must be an email address']]);
  });

  it('refuses control, format and separator characters in text', () => {
    expect(isPlainText('Ana Lima – Ünïcødé 漢字 😀')).toBe(true);
    for (const bad of [
      'a\u0000',
      'a\u0007',
      'a\n',
      'a\u001b[0m',
      'a\u007f',
      'a\u0085',
      'a\u00ad',
      'a\u200b',
      'a\u200e',
      'a\u202e',
      'a\u2028',
      'a\u2029',
      'a\u2066',
      'a\ufeff',
      'a\ud800',
    ]) {
      expect([bad, isPlainText(bad)]).toEqual([bad, false]);
    }
    expect(failures({ name: 'A\u202eB' })).toEqual([
      ['name', 'must not contain control or invisible formatting characters'],
    ]);
    expect(failures({ name: '' })).toEqual([['name', 'must be 1 to 20 characters long']]);
    expect(failures({ name: 7 })).toEqual([['name', 'must be a string']]);
    expect(failures({ name: undefined })).toEqual([['name', 'is required']]);
    expect(failures({ company: null })).toEqual([]);
    expect(failures({ company: 'a\u0000' })).toEqual([
      ['company', 'must not contain control or invisible formatting characters'],
    ]);
  });
});
