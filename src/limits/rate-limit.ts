import {
  applyDecorators,
  Injectable,
  Module,
  UseGuards,
  type ExecutionContext,
} from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';

/**
 * @nestjs/throttler with one named limit from the environment (`STS_RATE_LIMIT_MAX` requests per
 * `STS_RATE_LIMIT_WINDOW`), counted per client address (see `STS_TRUSTED_PROXIES` behind a proxy)
 * and per route. Nothing is limited unless a route opts in with `@RateLimited()`.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [STS_CONFIG],
      useFactory: (config: StsConfig) => ({
        throttlers: [{ limit: config.rateLimit.limit, ttl: config.rateLimit.windowMs }],
      }),
    }),
  ],
})
export class RateLimitModule {}

/** Answers over-limit requests with our 429 (`ERR_RATE_LIMITED`, `Retry-After`). */
@Injectable()
export class ClientRateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw Errors.rateLimited(detail.timeToBlockExpire);
  }
}

/** Per-client rate limit for a route or controller: admin API and RFC 8693 token exchange. */
export const RateLimited = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(ClientRateLimitGuard));
