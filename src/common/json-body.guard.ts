import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Errors } from './errors';

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Endpoints whose contract is a JSON body refuse other content types with 415 instead of signing
 * whatever a form or text parser produced.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const contentType = context.switchToHttp().getRequest<FastifyRequest>().headers['content-type'];
    if (contentType !== undefined && !JSON_TYPE.test(contentType))
      throw Errors.unsupportedMediaType();
    return true;
  }
}
