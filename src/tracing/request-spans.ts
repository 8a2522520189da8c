import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestAnnotations } from '../common/request-annotations';
import { PROBE_ROUTES, routeTemplate, UNMATCHED_ROUTE } from '../common/route-template';
import type { SpanAttributes } from '../common/tracing';
import type { OtelTracing } from './otel-tracing';

const SPAN = Symbol('sts.requestSpan');

type TracedRequest = FastifyRequest & { [SPAN]?: Span };

/**
 * One SERVER span per request, named `METHOD /route/{template}` (the method alone for unmatched
 * paths), child of the gateway's `traceparent`; none for health probes and metric scrapes. Installed only when tracing is on, so requests
 * of an untraced service run none of these hooks. The span becomes the active one in
 * `preHandler`, once the body is read: body chunks arrive on the socket's own async context,
 * which would lose it, while the handler runs synchronously inside `done()` and every call it
 * makes inherits it. No URL, query or header goes into the span: the route template, the status,
 * and the profile and outcome the handler annotated.
 */
export function installRequestSpans(fastify: FastifyInstance, tracing: OtelTracing): void {
  fastify.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    const route = routeTemplate(request);
    if (PROBE_ROUTES.has(route)) return done();
    const attributes: SpanAttributes = { 'http.request.method': request.method };
    if (route !== UNMATCHED_ROUTE) attributes['http.route'] = route;
    request[SPAN] = tracing.startRequestSpan(
      route === UNMATCHED_ROUTE ? request.method : `${request.method} ${route}`,
      request.headers,
      attributes,
    );
    done();
  });
  fastify.addHook('preHandler', (request: TracedRequest, _reply, done) => {
    const span = request[SPAN];
    if (span) tracing.runInSpan(span, done);
    else done();
  });
  fastify.addHook('onResponse', (request: TracedRequest, reply, done) => {
    const span = request[SPAN];
    if (span) {
      const { profile, outcome } = requestAnnotations(request);
      const attributes: SpanAttributes = {};
      if (profile !== undefined) attributes['sts.profile'] = profile;
      if (outcome !== undefined) attributes['sts.outcome'] = outcome;
      tracing.endRequestSpan(span, reply.statusCode, attributes);
    }
    done();
  });
}
