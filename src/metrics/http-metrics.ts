import type { FastifyInstance } from 'fastify';
import { routeTemplate } from '../common/route-template';
import type { MetricsService } from './metrics.service';

/** Counts and times every answered request, 404s and errors included, by route template. */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(
      request.method,
      routeTemplate(request),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
