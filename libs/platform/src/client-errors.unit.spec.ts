import { clientErrorProblem } from './client-errors';

const error = (code: string, rawPacket?: Buffer) => Object.assign(new Error(code), { code, rawPacket });

describe('clientErrorProblem', () => {
  it('tells an over-long request line (414) from over-large headers (431)', () => {
    const longUrl = Buffer.from(`GET /v1/x?q=${'a'.repeat(20_000)}`);
    expect(clientErrorProblem(error('HPE_HEADER_OVERFLOW', longUrl)).getStatus()).toBe(414);
    const bigHeader = Buffer.from(`GET /v1/x HTTP/1.1\r\nx-filler: ${'a'.repeat(20_000)}`);
    expect(clientErrorProblem(error('HPE_HEADER_OVERFLOW', bigHeader)).getStatus()).toBe(431);
    // A later chunk of the headers: not the request line.
    expect(
      clientErrorProblem(error('HPE_HEADER_OVERFLOW', Buffer.from('a'.repeat(20_000)))).getStatus(),
    ).toBe(431);
    expect(clientErrorProblem(error('HPE_HEADER_OVERFLOW')).getStatus()).toBe(431);
  });

  it('answers other parser errors as problem details', () => {
    expect(clientErrorProblem(error('HPE_INVALID_CONTENT_LENGTH')).toProblem()).toMatchObject({
      status: 400,
      type: expect.stringMatching(/malformed-request$/),
      detail: expect.stringContaining('HPE_INVALID_CONTENT_LENGTH'),
    });
    expect(clientErrorProblem(error('ERR_HTTP_REQUEST_TIMEOUT')).getStatus()).toBe(408);
  });
});
