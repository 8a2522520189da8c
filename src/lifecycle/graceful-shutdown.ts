import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logging/logger';

const draining = new WeakSet<FastifyInstance>();

/**
 * Answers sent while shutting down carry `Connection: close`, so a keep-alive connection ends
 * with its last in-flight answer instead of idling until `keepAliveTimeout` and holding the
 * shutdown open. (Fastify marks requests that arrive during close, not those already running.)
 */
export function installConnectionDraining(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining.has(fastify)) void reply.header('connection', 'close');
    done(null, payload);
  });
}

export interface ShutdownOptions {
  /** How long in-flight requests may take before their connections are closed. */
  timeoutMs: number;
  logger: Logger;
}

export interface ShutdownResult {
  /** True when the bound ran out and remaining connections were closed under requests. */
  forced: boolean;
}

/**
 * Stops accepting connections, lets in-flight requests finish (at most `timeoutMs`), then runs
 * Nest's shutdown: module destroy hooks, and finally the database connection closes. The HTTP
 * server closes first on purpose: Nest's own `close()` runs destroy hooks before it, which
 * would pull services from under requests still being answered.
 */
export async function shutdownGracefully(
  app: NestFastifyApplication,
  options: ShutdownOptions,
): Promise<ShutdownResult> {
  const fastify = app.getHttpAdapter().getInstance();
  draining.add(fastify);
  let forced = false;
  const bound = setTimeout(() => {
    forced = true;
    options.logger.warn(
      { timeoutMs: options.timeoutMs },
      'shutdown: in-flight requests exceeded the bound; closing their connections',
    );
    fastify.server.closeAllConnections();
  }, options.timeoutMs);
  try {
    await fastify.close();
  } finally {
    clearTimeout(bound);
  }
  await app.close();
  options.logger.info({ forced }, 'shutdown complete');
  options.logger.flush();
  return { forced };
}
