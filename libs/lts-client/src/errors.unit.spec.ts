import { LTS_PROBLEM_CODES, LtsError, networkError, parseRetryAfter, problemError } from './errors';

const problem = (code: string, status: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: `https://docs.order-to-license.dev/problems/${code}`,
    title: 'Title',
    status,
    detail: `Detail of ${code}.`,
    ...extra,
  });

describe('problemError', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it.each([
    ['seats-exhausted', 409, false, false],
    ['license-revoked', 403, false, true],
    ['license-expired', 403, false, true],
    ['license-not-activated', 403, false, true],
    ['wrong-tracking-mode', 403, false, true],
    ['license-unknown', 404, false, false],
    ['lease-gone', 410, false, false],
    ['validation-failed', 400, false, false],
    ['too-many-requests', 429, true, false],
    ['service-unavailable', 503, true, false],
    ['internal-error', 500, true, false],
  ])('reads %s (%i) from the problem type', (code, status, transient, refused) => {
    const error = problemError(status, problem(code, status), null, now);
    expect(error).toBeInstanceOf(LtsError);
    expect(error).toMatchObject({ code, status, transient, licenseRefused: refused });
    expect(error.message).toBe(`LTS answered ${status} ${code}: Detail of ${code}.`);
    expect(error.details.title).toBe('Title');
  });

  it('lists every code the tracking server maps', () => {
    expect(LTS_PROBLEM_CODES).toEqual(
      expect.arrayContaining(['seats-exhausted', 'license-unknown', 'lease-not-found', 'product-required']),
    );
  });

  it('carries retry-after and the field errors of a 400', () => {
    const limited = problemError(429, problem('too-many-requests', 429), '12', now);
    expect(limited.retryAfterSeconds).toBe(12);
    const invalid = problemError(
      400,
      problem('validation-failed', 400, { errors: [{ field: 'clientId', message: 'too long' }, 'junk'] }),
      null,
      now,
    );
    expect(invalid.details.errors).toEqual([{ field: 'clientId', message: 'too long' }]);
    expect(invalid.details.problem).toMatchObject({ status: 400 });
  });

  it('names an answer that is not a problem after its status (a proxy page)', () => {
    const error = problemError(502, '<html>Bad gateway</html>', null, now);
    expect(error).toMatchObject({ code: 'bad-gateway', status: 502, transient: true });
    expect(problemError(418, '', null, now).code).toBe('http-418');
    expect(problemError(404, '[]', null, now).code).toBe('not-found');
  });

  it('does not take a code from a foreign type URL', () => {
    const error = problemError(409, JSON.stringify({ type: 'https://example.com/problems/x' }), null, now);
    expect(error.code).toBe('conflict');
    expect(problemError(409, JSON.stringify({ type: 'about:blank' }), null, now).code).toBe('conflict');
  });

  it('keeps a code it does not know (a newer server)', () => {
    expect(problemError(403, problem('license-suspended', 403), null, now)).toMatchObject({
      code: 'license-suspended',
      transient: false,
      licenseRefused: false,
    });
  });
});

describe('networkError', () => {
  it('is transient, status 0, and says why', () => {
    const error = networkError('http://127.0.0.1:1', new Error('connect ECONNREFUSED'), false);
    expect(error).toMatchObject({ code: 'network', status: 0, transient: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(networkError('http://x', new Error('aborted'), true).message).toContain('timed out');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:45 GMT', now)).toBe(45);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
