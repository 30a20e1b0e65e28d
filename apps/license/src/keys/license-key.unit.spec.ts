import { licenseKeyHash, newLicenseKey, parseLicenseKey } from './license-key';

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

  it('catch every single mistyped character and swapped pair before any lookup', () => {
    const key = newLicenseKey();
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    let caught = 0;
    let tried = 0;
    for (let i = 5; i < key.length; i++) {
      if (key[i] === '-') continue;
      for (const replacement of alphabet) {
        if (replacement === key[i]) continue;
        tried++;
        if (parseLicenseKey(key.slice(0, i) + replacement + key.slice(i + 1)) === undefined) caught++;
      }
    }
    // A 20-bit checksum misses about one typo in a million.
    expect(caught / tried).toBeGreaterThan(0.999);
    const swapped = key.slice(0, 5) + key[6] + key[5] + key.slice(7);
    if (swapped !== key) expect(parseLicenseKey(swapped)).toBeUndefined();
    for (const bad of ['', 'OTL1', 'XYZ1-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAA', `${key}0`]) {
      expect(parseLicenseKey(bad)).toBeUndefined();
    }
  });

  it('are hashed to hex SHA-256 for events', () => {
    expect(licenseKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
