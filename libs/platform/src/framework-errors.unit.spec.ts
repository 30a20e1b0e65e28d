import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { frameworkErrorAsProblem } from './framework-errors';

function reply() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const double = {
    status: (code: number) => ((sent.status = code), double),
    header: (name: string, value: string) => ((sent.headers[name] = value), double),
    send: (body: unknown) => ((sent.body = body), double),
  };
  return { sent, reply: double as unknown as FastifyReply };
}

const error = (code: string) => Object.assign(new Error(code), { code }) as FastifyError;

describe('frameworkErrorAsProblem (errors of Fastify’s router, before any route runs)', () => {
  it.each([
    ['FST_ERR_MAX_PARAM_LENGTH', 414],
    ['FST_ERR_BAD_URL', 400],
    ['FST_ERR_ASYNC_CONSTRAINT', 500],
  ])('answers %s as a %d problem', (code, status) => {
    const { sent, reply: double } = reply();
    frameworkErrorAsProblem(error(code), {} as FastifyRequest, double);
    expect(sent.status).toBe(status);
    expect(sent.headers['content-type']).toBe('application/problem+json');
    expect(sent.body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//) });
    expect(JSON.stringify(sent.body)).not.toContain('FST_ERR');
  });
});
