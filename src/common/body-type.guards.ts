import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Errors } from './errors';

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** 415 for a body of another type than `accepted` (a request without a body passes). */
function requireBodyType(request: FastifyRequest, accepted: RegExp, expected: string): true {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && !accepted.test(contentType))
    throw Errors.unsupportedMediaType(expected);
  return true;
}

/** `JsonBodyGuard` for a route served outside Nest's pipeline (see `lean-routes.ts`). */
export const requireJsonBody = (request: FastifyRequest): true =>
  requireBodyType(request, JSON_TYPE, 'application/json');

/**
 * Endpoints whose contract is a JSON body refuse other content types with 415 instead of signing
 * whatever a form or text parser produced.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return requireJsonBody(context.switchToHttp().getRequest<FastifyRequest>());
  }
}

/** The OAuth endpoints take form parameters only (RFC 6749 §3.2, RFC 7662 §2.1, RFC 8693 §2.1). */
@Injectable()
export class FormBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return requireBodyType(
      context.switchToHttp().getRequest<FastifyRequest>(),
      FORM_TYPE,
      'application/x-www-form-urlencoded',
    );
  }
}
