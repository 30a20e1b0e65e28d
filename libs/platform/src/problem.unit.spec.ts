import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import { NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { ProblemDetailsFilter, ProblemException } from './problem';

/** A reply double that records what the filter sends (pure code: no server involved). */
function capture() {
  const sent: { status?: number; headers: Record<string, string>; body?: Record<string, unknown> } = {
    headers: {},
  };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    headers(values: Record<string, string>) {
      Object.assign(sent.headers, values);
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ is404: false }) }),
  } as unknown as ArgumentsHost;
  return { sent, host };
}

describe('ProblemDetailsFilter', () => {
  const logged: object[] = [];
  const logger = { error: (fields: object) => void logged.push(fields) } as never;
  const filter = new ProblemDetailsFilter(logger);

  it('hands an error of a Kafka handler (RPC context) back unchanged, answering nothing', async () => {
    const conflict = Object.assign(new Error('stream moved on'), { name: 'ConcurrencyError' });
    const rpc = {
      getType: () => 'rpc',
      switchToHttp: () => {
        throw new Error('no HTTP in RPC context');
      },
    } as unknown as ArgumentsHost;
    const answer = filter.catch(conflict, rpc);
    expect(isObservable(answer)).toBe(true);
    await expect(lastValueFrom(answer as Observable<never>)).rejects.toBe(conflict);
  });

  it('answers an unexpected error with 500, an error id, and no stack or message of the error', () => {
    const { sent, host } = capture();
    const error = new Error('connection string postgres://secret@db leaked?');
    filter.catch(error, host);
    expect(sent.status).toBe(500);
    expect(sent.headers['content-type']).toBe('application/problem+json');
    expect(sent.body).toMatchObject({
      status: 500,
      title: 'Internal server error',
      errorId: expect.any(String),
    });
    const text = JSON.stringify(sent.body);
    expect(text).not.toContain('secret');
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    expect(logged.at(-1)).toMatchObject({ errorId: sent.body!['errorId'], err: error });
  });

  it('answers errors it is told mean "unavailable" with 503 and retry-after, and leaves others a 500', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const unavailable = new ProblemDetailsFilter({ error: () => undefined, warn: () => undefined } as never, {
      when: (error) => error === outage,
      retryAfterSeconds: 7,
    });
    const down = capture();
    unavailable.catch(outage, down.host);
    expect(down.sent.status).toBe(503);
    expect(down.sent.headers['retry-after']).toBe('7');
    expect(down.sent.body).toMatchObject({ status: 503, title: 'Service unavailable' });
    expect(JSON.stringify(down.sent.body)).not.toContain('ECONNREFUSED');
    const other = capture();
    unavailable.catch(new Error('bug'), other.host);
    expect(other.sent.status).toBe(500);
  });

  it('answers a client that went away mid-body 400, but a reset of its own database socket 503', () => {
    const filter503 = new ProblemDetailsFilter({ error: () => undefined, warn: () => undefined } as never, {
      when: (error) => (error as { code?: string }).code === 'ECONNRESET',
      retryAfterSeconds: 5,
    });
    // What Node's request stream emits when the client closes before its body arrived.
    const aborted = capture();
    filter503.catch(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), aborted.host);
    expect(aborted.sent.status).toBe(400);
    expect(aborted.sent.body).toMatchObject({ detail: 'The connection closed before the body arrived.' });
    // What pg throws when PostgreSQL restarts under a handler (found by the fault suite: it was a 400,
    // so a client would not have retried an order that was never stored).
    const reset = capture();
    filter503.catch(
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }),
      reset.host,
    );
    expect(reset.sent.status).toBe(503);
    expect(reset.sent.headers['retry-after']).toBe('5');
  });

  it('keeps the status, code, field errors and headers of a ProblemException', () => {
    const { sent, host } = capture();
    filter.catch(
      new ProblemException(503, 'storage-unavailable', 'Unavailable', 'retry later', {
        errors: [{ field: 'x', message: 'bad' }],
        headers: { 'retry-after': '5' },
      }),
      host,
    );
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toEqual({
      type: 'https://docs.order-to-license.dev/problems/storage-unavailable',
      title: 'Unavailable',
      status: 503,
      detail: 'retry later',
      errors: [{ field: 'x', message: 'bad' }],
    });
  });

  it('turns Nest HTTP exceptions into problem details', () => {
    const { sent, host } = capture();
    filter.catch(new NotFoundException('Cannot GET /nowhere'), host);
    expect(sent.status).toBe(404);
    expect(sent.body).toMatchObject({ status: 404, title: 'Not found', detail: 'Cannot GET /nowhere' });
  });
});
