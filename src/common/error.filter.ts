import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorBody, Errors, StsError } from './errors';

/** Default request body limit; routes that never read the body opt out of parsing entirely. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const logger = new Logger('ErrorFilter');

/**
 * Maps anything thrown to the one error model. Nest's Fastify adapter already turns Fastify's own
 * 4xx errors (bad JSON, body too large) into HttpExceptions. Known errors keep their status and description;
 * everything else becomes a generic 500 whose details go to the log only.
 */
export function toStsError(err: unknown): StsError {
  if (err instanceof StsError) return err;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 404) return Errors.notFound('route');
    if (status === 413) return Errors.payloadTooLarge(BODY_LIMIT_BYTES);
    if (status === 415) return Errors.unsupportedMediaType();
    // Nest's own 4xx messages (body parsing, validation) describe the request, never our internals.
    if (status < 500) return Errors.invalidRequest(describeHttpException(err));
  }
  logger.error(err instanceof Error ? (err.stack ?? err.message) : 'non-error thrown');
  return Errors.internal();
}

function describeHttpException(err: HttpException): string {
  const response = err.getResponse();
  if (typeof response === 'object' && response !== null && 'message' in response) {
    const message = response.message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return err.message;
}

export function errorBody(err: StsError): ErrorBody {
  return { error: err.error, error_description: err.description, code: err.code };
}

export function sendError(reply: FastifyReply, err: StsError): void {
  void reply
    .status(err.status)
    .headers(err.headers)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(errorBody(err));
}

@Catch()
export class StsErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), toStsError(exception));
  }
}
