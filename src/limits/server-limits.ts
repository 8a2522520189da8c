import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { BODY_LIMIT_BYTES } from '../common/error.filter';

/**
 * Fastify's server limits. The service sits behind a gateway or load balancer, which owns
 * connection counts; these bound what one slow or stuck client can hold.
 */
export const SERVER_LIMITS = {
  /** Request bodies above this answer 413; routes may lower it with `@BodyLimit()`. */
  bodyLimit: BODY_LIMIT_BYTES,
  /** A socket idle this long (ms) mid-request is closed; covers our own 5 s outbound deadline. */
  connectionTimeout: 60_000,
  /** The whole request (headers and body) must arrive within this (ms): slow-loris bound. */
  requestTimeout: 30_000,
  /**
   * Idle keep-alive sockets close after this (ms); longer than the 60 s idle timeout of common
   * load balancers, so they close first and never reuse a socket we are closing.
   */
  keepAliveTimeout: 72_000,
  /** Unlimited: gateways keep pooled connections, and forcing reconnects only costs handshakes. */
  maxRequestsPerSocket: 0,
  /**
   * Path parameters (names, usernames, credential keys, client ids) up to this many characters
   * reach the routes, which answer 404 for an unknown one; Fastify's default of 100 would cut
   * valid 255-character usernames off with its own 414.
   */
  routerOptions: { maxParamLength: 1024 },
} satisfies Partial<FastifyServerOptions>;

/**
 * Request headers must be complete within this (ms). Node checks these deadlines every 30 s
 * (`connectionsCheckingInterval`), so they are bounds, not exact cut-offs.
 */
export const HEADERS_TIMEOUT_MS = 10_000;

/** Route option read by the onRoute hook below. */
interface BodyLimitConfig {
  bodyLimit?: number;
}

/**
 * Lowers (or raises) the body limit of one route, e.g. `@BodyLimit(64 * 1024)` on endpoints
 * that only take tokens. Uses Fastify's route config, so do not combine with `@RouteConfig`.
 */
export const BodyLimit = (bytes: number): MethodDecorator =>
  RouteConfig({ bodyLimit: bytes } satisfies BodyLimitConfig);

/**
 * The limits Fastify has no option for: the headers deadline, and `@BodyLimit()` routes. Must
 * run before routes are registered (createApp calls it before `app.init()`).
 */
export function installServerLimits(fastify: FastifyInstance): void {
  fastify.server.headersTimeout = HEADERS_TIMEOUT_MS;
  fastify.addHook('onRoute', (route) => {
    const config: BodyLimitConfig | undefined = route.config;
    if (config?.bodyLimit !== undefined) route.bodyLimit = config.bodyLimit;
  });
}
