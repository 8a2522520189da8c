import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { checkBearerToken } from '../common/bearer-token';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';

const REALM = 'sts-admin';

/**
 * `Authorization: Bearer $STS_ADMIN_TOKEN` on every admin route. Without a configured token the
 * admin API does not exist (404, as for an unknown route). The comparison runs on SHA-256 digests
 * in constant time, so neither the token's content nor its length shows in the timing.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(STS_CONFIG) private readonly config: StsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (expected === undefined) throw Errors.notFound('route');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const result = checkBearerToken(header, expected);
    if (result !== 'ok') throw Errors.unauthorized(REALM, result === 'invalid');
    return true;
  }
}
