import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

/** What a handler or filter tells the access log (and nothing else) about a request. */
export interface RequestAnnotations {
  /** The profile (or signer) the request ran under. */
  profile?: string;
  /** The outcome code: an error `code` such as `ERR_TOKEN_EXPIRED`, or `OK`. */
  outcome?: string;
}

const annotations = new WeakMap<IncomingMessage, RequestAnnotations>();

const rawOf = (request: FastifyRequest | IncomingMessage): IncomingMessage =>
  'raw' in request ? request.raw : request;

/** Adds to the request's access-log fields; later calls override earlier ones field by field. */
export function annotateRequest(
  request: FastifyRequest | IncomingMessage,
  fields: RequestAnnotations,
): void {
  const raw = rawOf(request);
  annotations.set(raw, { ...annotations.get(raw), ...fields });
}

export function requestAnnotations(request: FastifyRequest | IncomingMessage): RequestAnnotations {
  return annotations.get(rawOf(request)) ?? {};
}
