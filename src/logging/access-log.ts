import type { FastifyInstance } from 'fastify';
import { PROBE_ROUTES, routeTemplate } from '../common/route-template';
import { redactUrl } from './logger';
import { requestAnnotations } from '../common/request-annotations';

/**
 * One JSON line per request, written when the response is done: method, route template, URL
 * with query values redacted, status, duration, client address, and the profile and outcome a
 * handler or the error filter annotated; probes and scrapes at debug, so they do not drown
 * traffic. `reqId` comes from the request's child logger. The request id is echoed as
 * `X-Request-Id` so callers can quote it.
 */
export function installAccessLog(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = routeTemplate(request);
    const status = reply.statusCode;
    const level = PROBE_ROUTES.has(route) ? 'debug' : status >= 500 ? 'warn' : 'info';
    request.log[level](
      {
        method: request.method,
        route,
        url: redactUrl(request.url),
        status,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        remoteAddress: request.ip,
        ...requestAnnotations(request),
      },
      'request completed',
    );
    done();
  });
}
