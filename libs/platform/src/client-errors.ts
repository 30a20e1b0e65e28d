import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_URL_LENGTH } from './framework-errors';
import { PROBLEM_CONTENT_TYPE, ProblemException } from './problem';

type ClientError = Error & { code?: string; rawPacket?: unknown };

/** The answer to a request Node's HTTP parser refused, before Fastify or Nest saw it. */
export function clientErrorProblem(error: ClientError): ProblemException {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      // Node counts the request line within its header limit: say which of the two was too long.
      return requestLineTooLong(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined)
        ? uriTooLong()
        : new ProblemException(
            431,
            'request-header-fields-too-large',
            'Request header fields too large',
            'The request headers are larger than this service accepts (16 KiB in all).',
          );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new ProblemException(
        408,
        'request-timeout',
        'Request timeout',
        'The request took too long to arrive.',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ProblemException(
        413,
        'payload-too-large',
        'Payload too large',
        'Chunk extensions are too large.',
      );
    default:
      return new ProblemException(
        400,
        'malformed-request',
        'Malformed request',
        `The request is not well-formed HTTP/1.1 (${error.code ?? 'parse error'}).`,
      );
  }
}

export const uriTooLong = () =>
  new ProblemException(
    414,
    'uri-too-long',
    'URI too long',
    `The request target is longer than ${MAX_URL_LENGTH} characters.`,
  );

/** True when the packet holds the start of a request whose first line is over the URL limit. */
function requestLineTooLong(packet: Buffer | undefined): boolean {
  if (!packet || !/^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1'))) return false;
  const lineEnd = packet.indexOf('\r\n');
  return lineEnd === -1 || lineEnd > MAX_URL_LENGTH;
}

/**
 * Node's `clientError`: answer with problem details whenever the socket can still carry an
 * answer (Node's and Fastify's defaults send their own formats), then close it. The socket is
 * ended rather than destroyed at once, so the answer is not lost to a reset while the client
 * is still sending; it is destroyed a moment later if the client keeps it open.
 */
export function answerClientError(error: ClientError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || started) {
    socket.destroy(error);
    return;
  }
  const problem = clientErrorProblem(error).toProblem();
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
