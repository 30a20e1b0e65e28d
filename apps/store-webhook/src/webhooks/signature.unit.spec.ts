import { decodeSecret, sign, verify } from './signature';

// Known answer from the Standard Webhooks test suite (as quoted by the contract).
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const timestamp = '1614265330';
const body = Buffer.from('{"test": 2432232314}');
const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const at = new Date(1614265330 * 1000);
const key = decodeSecret(secret);

describe('Standard Webhooks signature', () => {
  it('computes the known-answer signature', () => {
    expect(sign(key, id, timestamp, body)).toBe(expected);
  });

  it('verifies the known-answer vector', () => {
    expect(verify({ id, timestamp, signature: expected, body }, [key], at, 300)).toEqual({
      ok: true,
      id,
      timestamp: 1614265330,
    });
  });

  it.each([
    ['one changed byte of the body', { id, timestamp, body: Buffer.from('{"test": 2432232315}') }],
    ['one changed byte of the id', { id: 'msg_p5jXN8AQM9LWM0D4loKWxJeK', timestamp, body }],
    ['one changed digit of the timestamp', { id, timestamp: '1614265331', body }],
  ])('fails with %s', (_, changed) => {
    expect(verify({ ...changed, signature: expected }, [key], at, 300)).toEqual({
      ok: false,
      reason: 'no-matching-signature',
    });
  });

  it('accepts any valid entry among several, and a secret being rotated in', () => {
    const other = decodeSecret('whsec_' + Buffer.alloc(24, 7).toString('base64'));
    const signature = `v1,AAAA v1,${sign(other, id, timestamp, body).slice(3)}`;
    expect(verify({ id, timestamp, signature, body }, [key, other], at, 300).ok).toBe(true);
    expect(verify({ id, timestamp, signature, body }, [key], at, 300)).toEqual({
      ok: false,
      reason: 'no-matching-signature',
    });
  });

  it('ignores entries of other versions', () => {
    const signature = `v1a,${expected.slice(3)}`;
    expect(verify({ id, timestamp, signature, body }, [key], at, 300)).toEqual({
      ok: false,
      reason: 'no-matching-signature',
    });
  });

  it.each([
    [6 * 60, 'stale-timestamp'],
    [-6 * 60, 'future-timestamp'],
  ])('refuses a timestamp %i seconds off', (offset, reason) => {
    const now = new Date((1614265330 + offset) * 1000);
    expect(verify({ id, timestamp, signature: expected, body }, [key], now, 300)).toEqual({
      ok: false,
      reason,
    });
  });

  it('accepts a timestamp within tolerance', () => {
    const now = new Date((1614265330 + 299) * 1000);
    expect(verify({ id, timestamp, signature: expected, body }, [key], now, 300).ok).toBe(true);
  });

  it.each([
    [{ id: undefined, timestamp, signature: expected }, 'missing-headers'],
    [{ id, timestamp: undefined, signature: expected }, 'missing-headers'],
    [{ id, timestamp, signature: undefined }, 'missing-headers'],
    [{ id, timestamp: '16142653.30', signature: expected }, 'malformed-timestamp'],
  ])('refuses incomplete headers %#', (headers, reason) => {
    expect(verify({ ...headers, body }, [key], at, 300)).toEqual({ ok: false, reason });
  });

  it('refuses malformed secrets', () => {
    expect(() => decodeSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(/whsec_/);
    expect(() => decodeSecret('whsec_c2hvcnQ=')).toThrow(/16 bytes/);
  });
});
