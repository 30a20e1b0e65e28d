import { API_KEY_PATTERN, hashSecret, issueKey, parseKey } from './api-key';

describe('reseller API keys', () => {
  it('issues rsk_ keys that parse back to their id and the hash of their secret', () => {
    const issued = issueKey();
    expect(issued.key).toMatch(API_KEY_PATTERN);
    expect(issued.key.startsWith(`rsk_${issued.keyId}_`)).toBe(true);
    const secret = issued.key.slice(`rsk_${issued.keyId}_`.length, -6);
    expect(issued.secretHash).toBe(hashSecret(secret));
    expect(parseKey(issued.key)).toEqual({ keyId: issued.keyId, secretHash: issued.secretHash });
  });

  it('never issues the same key twice', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => issueKey().key));
    expect(keys.size).toBe(2000);
  });

  it('refuses every single-character typo by its checksum, before any lookup', () => {
    const { key } = issueKey();
    let tried = 0;
    for (let position = 4; position < key.length; position += 1) {
      if (key[position] === '_') continue;
      for (const replacement of ['0', 'a', 'Z']) {
        if (replacement === key[position]) continue;
        const typo = key.slice(0, position) + replacement + key.slice(position + 1);
        // In the key id an upper-case letter breaks the shape; elsewhere the checksum catches it.
        expect(parseKey(typo)).toBeUndefined();
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThan(150);
    // Two swapped neighbours in the secret are caught too (every differing pair of them).
    const secretStart = key.indexOf('_', 4) + 1;
    let swaps = 0;
    for (let at = secretStart; at < key.length - 7; at += 1) {
      if (key[at] === key[at + 1]) continue;
      const swapped = key.slice(0, at) + key[at + 1] + key[at] + key.slice(at + 2);
      expect(parseKey(swapped)).toBeUndefined();
      swaps += 1;
    }
    expect(swaps).toBeGreaterThan(30);
  });

  it.each([
    ['empty', ''],
    ['another prefix', 'sk_live_abc'],
    ['truncated', () => issueKey().key.slice(0, -1)],
    ['one character more', () => `${issueKey().key}x`],
    ['surrounding space', () => ` ${issueKey().key}`],
    ['a key id that is too short', () => issueKey().key.replace(/^rsk_[0-9a-z]/, 'rsk_')],
  ])('refuses a malformed key (%s)', (_name, key) => {
    const text = typeof key === 'function' ? key() : key;
    expect(parseKey(text)).toBeUndefined();
  });
});
