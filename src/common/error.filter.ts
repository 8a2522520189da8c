import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catalogueEntry, errorAnswer } from './error-answer';
import { Errors, StsError } from './errors';
import { annotateRequest } from './request-annotations';
import { RouteMethods } from './route-methods';
import { storeFailureOf } from './store-failure';

/** Default request body limit; routes that never read the body opt out of parsing entirely. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Maps a known failure to the one error model (undefined for anything unexpected): the store
 * failing is a 503, not a bug. Nest's Fastify adapter already turns Fastify's own 4xx errors (bad
 * JSON, body too large) into HttpExceptions.
 */
export function toStsError(err: unknown, bodyLimit = BODY_LIMIT_BYTES): StsError | undefined {
  if (err instanceof StsError) return err;
  const storeFailure = storeFailureOf(err);
  if (storeFailure) return Errors.storeUnavailable(storeFailure, err);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 404) return Errors.notFound('route');
    if (status === 413) return Errors.payloadTooLarge(bodyLimit);
    if (status === 415) return Errors.unsupportedMediaType();
    // Nest's own 4xx messages (body parsing, validation) describe the request, never our internals.
    if (status < 500) return Errors.invalidRequest(describeHttpException(err));
  }
  return undefined;
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

export function sendError(reply: FastifyReply, err: StsError): void {
  const answer = errorAnswer(err);
  void reply
    .status(answer.status)
    .headers(answer.headers)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(answer.body);
}

/**
 * The one global filter: known errors become their catalogue answer; anything else becomes a
 * generic 500 whose details go to the request's log (same logger and request id as its access
 * line) and never to the client. The error code becomes the access line's `outcome`. A request
 * no route took is a 405 when its path is served with other methods.
 */
@Catch()
export class StsErrorFilter implements ExceptionFilter {
  constructor(private readonly routes: RouteMethods) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** The answer to `exception`, for Nest's routes and for those served lean alike. */
  answer(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    let error =
      exception instanceof NotFoundException
        ? this.unrouted(request)
        : toStsError(exception, request.routeOptions.bodyLimit);
    if (!error) {
      request.log.error({ err: exception }, 'unhandled error');
      error = Errors.internal();
    } else {
      const entry = catalogueEntry(error);
      // e.g. a backend or key server that failed: the client sees 502, the operator the cause.
      if (entry.status >= 500 && (error.cause !== undefined || !entry.expose))
        request.log.warn({ err: error.cause, code: error.code }, error.description);
    }
    annotateRequest(request, { outcome: error.code });
    sendError(reply, error);
  }

  private unrouted(request: FastifyRequest): StsError {
    const served = this.routes.servedMethods(request);
    return served.length > 0 && !served.includes(request.method)
      ? Errors.methodNotAllowed(request.method, served)
      : Errors.notFound('route');
  }
}
