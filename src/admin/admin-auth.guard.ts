import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';

const REALM = 'sts-admin';
const BEARER = /^Bearer +([^\s]+) *$/i;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * `Authorization: Bearer $STS_ADMIN_TOKEN` on every admin route. Without a configured token the
 * admin API does not exist (404, as for an unknown route). The comparison runs on SHA-256 digests
 * with timingSafeEqual, so neither the token's content nor its length shows in the timing.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(STS_CONFIG) config: StsConfig) {
    this.expected = config.adminToken === undefined ? undefined : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw Errors.notFound('route');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = BEARER.exec(header ?? '')?.[1];
    if (token === undefined) {
      throw Errors.unauthorized(
        'the admin API needs Authorization: Bearer <STS_ADMIN_TOKEN>',
        `Bearer realm="${REALM}"`,
      );
    }
    if (!timingSafeEqual(digest(token), this.expected)) {
      throw Errors.unauthorized(
        'admin token not accepted',
        `Bearer realm="${REALM}", error="invalid_token"`,
      );
    }
    return true;
  }
}
