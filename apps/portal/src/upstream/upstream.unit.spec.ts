import { jsonOf, problemOf, UpstreamProblem, type UpstreamAnswer } from './upstream';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): UpstreamAnswer => ({
  status,
  headers: new Headers(headers),
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

describe('answers of the services behind the portal', () => {
  it('gives the JSON of a 2xx answer, nothing for an empty one', () => {
    expect(jsonOf(answer(200, { a: 1 }))).toEqual({ a: 1 });
    expect(jsonOf(answer(204, ''))).toBeUndefined();
  });

  it('passes a problem on as it came, with its retry-after', () => {
    const problem = {
      type: 'https://docs.order-to-license.dev/problems/validation-failed',
      title: 'Request is not valid',
      status: 400,
      detail: 'password: must be 12 to 256 characters long',
      errors: [{ field: 'password', message: 'must be 12 to 256 characters long' }],
    };
    const error = problemOf(
      answer(400, problem, { 'content-type': 'application/problem+json', 'retry-after': '3' }),
    );
    expect(error).toBeInstanceOf(UpstreamProblem);
    expect(error.toProblem()).toEqual(problem);
    expect(error.extras.headers).toEqual({ 'retry-after': '3' });
    expect(() => jsonOf(answer(400, problem, { 'content-type': 'application/problem+json' }))).toThrow(
      UpstreamProblem,
    );
  });

  it('describes an answer that is not a well-formed problem by its status', () => {
    for (const bad of [
      answer(409, 'oops', { 'content-type': 'text/plain' }),
      answer(409, { status: 500 }, { 'content-type': 'application/json' }),
    ]) {
      const error = problemOf(bad);
      expect(error).not.toBeInstanceOf(UpstreamProblem);
      expect(error.toProblem()).toMatchObject({ status: 409, detail: 'The request failed (409).' });
    }
  });
});
