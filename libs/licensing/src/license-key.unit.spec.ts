import { licenseKeyHash, newLicenseKey, parseLicenseKey } from './license-key';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** What a finger can hit instead of the right character: any other symbol of a key. */
const ALPHABET_AND_DASH = `${ALPHABET}-`;

/** Keys issued by this code before; a checksum change that breaks them breaks customers' keys. */
const ISSUED = [
  'OTL1-6JTXZ-W2TAV-VSAHP-QHV1B-EM8XJ-Y8QAB-7W98',
  'OTL1-3D48T-RMNR8-84P73-3EQ96-K75ZW-2DGFN-ZHTJ',
  'OTL1-G5W85-C181F-TM4KD-47VYW-8FK7E-EGMFB-Q3QM',
];

/** Every string one mistyped character away from `key`, at each position from `from` on. */
function substitutions(key: string, from = 0): string[] {
  return [...key].flatMap((right, index) =>
    index < from
      ? []
      : [...ALPHABET_AND_DASH]
          .filter((wrong) => wrong !== right)
          .map((wrong) => key.slice(0, index) + wrong + key.slice(index + 1)),
  );
}

/** 45 positions and 33 symbols; all but O and L of the prefix are symbols themselves. */
const TYPOS_PER_KEY = 45 * 33 - 43;

/** Every string with two different neighbouring characters of `key` swapped. */
function swaps(key: string): string[] {
  return [...key.slice(0, -1)].flatMap((left, index) => {
    const right = key[index + 1]!;
    return left === right ? [] : [key.slice(0, index) + right + left + key.slice(index + 2)];
  });
}

describe('licence keys', () => {
  it('have a prefix, 150 random bits and a checksum', () => {
    const keys = Array.from({ length: 200 }, newLicenseKey);
    for (const key of keys) {
      expect(key).toMatch(/^OTL1(-[0-9A-HJKMNP-TV-Z]{5}){6}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(parseLicenseKey(key)).toBe(key);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('forgive case, spaces and look-alike letters, as typed by people', () => {
    const key = newLicenseKey();
    const typed = ` ${key.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l')} `;
    expect(parseLicenseKey(typed)).toBe(key);
  });

  it('keep parsing keys issued before (customers hold them)', () => {
    for (const key of ISSUED) expect(parseLicenseKey(key)).toBe(key);
  });

  // A 20-bit hash promises nothing for one key in general (about one key in a thousand has a typo
  // it misses), so the exhaustive check is on issued keys that have none: a checksum that skips a
  // position, or a weaker one, fails it every time.
  it('catch every single mistyped character and every swapped neighbour pair of issued keys', () => {
    for (const key of ISSUED) {
      expect(substitutions(key)).toHaveLength(TYPOS_PER_KEY);
      const typos = [...substitutions(key), ...swaps(key)];
      const accepted = typos.filter((typo) => parseLicenseKey(typo) !== undefined);
      // Only the look-alikes people are forgiven (0 for O, 1 for L) in the prefix pass, as the same key.
      expect(accepted).toEqual([`0${key.slice(1)}`, `OT11${key.slice(4)}`, `OT1L${key.slice(4)}`]);
      expect(accepted.map((typo) => parseLicenseKey(typo))).toEqual([key, key, key]);
    }
  });

  it('catch every mistyped check character of any key', () => {
    for (const key of Array.from({ length: 50 }, newLicenseKey)) {
      const typos = substitutions(key, key.length - 4);
      expect(typos).toHaveLength(4 * 32);
      const slipped = typos.filter((typo) => parseLicenseKey(typo) !== undefined);
      expect({ key, slipped }).toEqual({ key, slipped: [] });
    }
  });

  it('let through about one in a million mistyped characters of new keys (20-bit checksum)', () => {
    let tried = 0;
    let slipped = 0;
    for (const key of Array.from({ length: 50 }, newLicenseKey)) {
      for (const typo of substitutions(key)) {
        tried++;
        const parsed = parseLicenseKey(typo);
        if (parsed !== undefined && parsed !== key) slipped++;
      }
    }
    expect(tried).toBe(50 * TYPOS_PER_KEY);
    // 72,100 typos at 2^-20 each: about 0.07 expected; four or more about once in a million runs.
    expect(slipped).toBeLessThanOrEqual(3);
  });

  it('refuse what is not a key', () => {
    const key = newLicenseKey();
    for (const bad of [
      '',
      'OTL1',
      'XYZ1-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAA',
      `${key}0`,
      key.slice(0, -1),
    ]) {
      expect(parseLicenseKey(bad)).toBeUndefined();
    }
  });

  it('are hashed to hex SHA-256 for events', () => {
    expect(licenseKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
