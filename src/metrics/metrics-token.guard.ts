import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { checkBearerToken } from '../common/bearer-token';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';

/** `GET /metrics` asks for `Authorization: Bearer $STS_METRICS_TOKEN` when that is set. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(STS_CONFIG) private readonly config: StsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.metricsToken;
    if (expected === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const check = checkBearerToken(request.headers.authorization, expected);
    if (check !== 'ok') throw Errors.unauthorized('metrics', check === 'invalid');
    return true;
  }
}
