import type { FastifyRequest } from 'fastify';

/** The label of requests no route matched: scanners must not mint a metric series per URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The route template (`/token/:signer`) a request matched, for logs and metric labels. */
export const routeTemplate = (request: FastifyRequest): string =>
  request.routeOptions.url ?? UNMATCHED_ROUTE;
