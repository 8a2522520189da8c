import type { FastifyRequest } from 'fastify';

/** The label of requests no route matched: scanners must not mint a metric series per URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Probes and scrapes: they arrive every few seconds and say nothing about the traffic. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set([
  '/health/live',
  '/health/ready',
  '/metrics',
]);

/** The route template (`/token/:signer`) a request matched, for logs and metric labels. */
export const routeTemplate = (request: FastifyRequest): string =>
  request.routeOptions.url ?? UNMATCHED_ROUTE;
