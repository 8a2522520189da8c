import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { errorAnswer } from '../common/error-answer';
import { Errors, StsError } from '../common/errors';

/**
 * How long a refused connection may go on sending before it is closed: closing a socket with
 * unread bytes resets the connection, and the reset destroys the answer before the client reads
 * it (a client still writing 100 KB of headers would see ECONNRESET instead of the 431).
 */
const LINGER_MS = 2000;

const answered = new WeakSet<Socket>();

/** What Node's HTTP parser refused, as one of our errors. */
function refusalOf(code: string | undefined): StsError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new StsError(
        'ERR_HEADERS_TOO_LARGE',
        'the request headers exceed the 16 KiB the server reads',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new StsError('ERR_REQUEST_TIMEOUT', 'the request did not arrive in time');
    default:
      return Errors.invalidRequest('the request is not valid HTTP/1.1');
  }
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route (headers over
 * its 16 KiB limit, malformed requests, a request that took longer than `requestTimeout`) is
 * answered in the service's error shape, on every path (/authz included: no gateway forwards
 * such a request), and the connection closes once the client stops sending or after LINGER_MS.
 */
export function answerClientError(
  this: FastifyInstance,
  err: Error & { code?: string },
  socket: Socket,
): void {
  // A reset connection is gone; a socket already answered keeps failing to parse what follows.
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const answer = errorAnswer(refusalOf(err.code));
  this.log.debug(
    { code: err.code, status: answer.status },
    'refused a request Node could not parse',
  );
  const body = JSON.stringify(answer.body);
  if (socket.writable) {
    socket.end(
      [
        `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Cache-Control: no-store',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  }
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
