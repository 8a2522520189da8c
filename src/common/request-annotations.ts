import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

/** What a handler or filter tells the access log (and nothing else) about a request. */
export interface RequestAnnotations {
  /** The profile (or signer) the request ran under. */
  profile?: string;
  /** The outcome code: an error `code` such as `ERR_TOKEN_EXPIRED`, or `OK`. */
  outcome?: string;
}

// A symbol-keyed field on the raw request rather than a WeakMap: the hot path writes it on every
// request, and a plain property is cheaper for the collector than a WeakMap entry.
const ANNOTATIONS = Symbol('sts.requestAnnotations');

type Annotated = IncomingMessage & { [ANNOTATIONS]?: RequestAnnotations };

const rawOf = (request: FastifyRequest | IncomingMessage): Annotated =>
  'raw' in request ? request.raw : request;

/** Adds to the request's access-log fields; later calls override earlier ones field by field. */
export function annotateRequest(
  request: FastifyRequest | IncomingMessage,
  fields: RequestAnnotations,
): void {
  const raw = rawOf(request);
  raw[ANNOTATIONS] = Object.assign(raw[ANNOTATIONS] ?? {}, fields);
}

export function requestAnnotations(request: FastifyRequest | IncomingMessage): RequestAnnotations {
  return rawOf(request)[ANNOTATIONS] ?? {};
}
