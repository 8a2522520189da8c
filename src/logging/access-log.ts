import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Level, type Logger } from 'pino';
import { PROBE_ROUTES, routeTemplate } from '../common/route-template';
import { redactUrl } from './logger';
import { requestAnnotations } from '../common/request-annotations';

const { chindingsSym, streamSym } = pino.symbols;

/** What pino keeps on each (child) logger: its serialised bindings and its destination. */
const internals = (request: FastifyRequest) => {
  const log = request.log as Logger & Record<symbol, unknown>;
  return {
    log,
    bindings: log[chindingsSym] as string,
    stream: log[streamSym] as { write(line: string): unknown },
  };
};

const field = (name: string, value: string | undefined): string =>
  value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`;

let lastMs = 0;
let lastIso = '';

/** The ISO time of now; under load many lines share a millisecond, and so its string. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** Both fields as JSON, once per method and route template (a bounded set: see http-metrics). */
const methodsAndRoutes = new Map<string, string>();

function methodAndRoute(method: string, route: string): string {
  const key = `${method} ${route}`;
  let json = methodsAndRoutes.get(key);
  if (json === undefined) {
    json = `${field('method', method)}${field('route', route)}`;
    methodsAndRoutes.set(key, json);
  }
  return json;
}

/**
 * The access line exactly as pino writes it through the request's child logger (level label, ISO
 * time, the child's bindings, the fields, `msg`), built in one template: pino's generic path
 * (formatters, the secret scrub, per-key serialisation) cost about a tenth of a cache hit. Every
 * field is ours and of a known type, and the URL is redacted, so there is nothing to scrub.
 */
function accessLine(
  request: FastifyRequest,
  reply: FastifyReply,
  level: Level,
  route: string,
  bindings: string,
): string {
  const { profile, outcome } = requestAnnotations(request);
  const durationMs = Math.round(reply.elapsedTime * 100) / 100;
  return (
    `{"level":"${level}","time":"${isoNow()}"${bindings}${methodAndRoute(request.method, route)}` +
    `${field('url', redactUrl(request.url))},"status":${reply.statusCode}` +
    `,"durationMs":${durationMs}${field('remoteAddress', request.ip)}` +
    `${field('profile', profile)}${field('outcome', outcome)},"msg":"request completed"}\n`
  );
}

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
    const level: Level = PROBE_ROUTES.has(route)
      ? 'debug'
      : reply.statusCode >= 500
        ? 'warn'
        : 'info';
    const { log, bindings, stream } = internals(request);
    if (log.isLevelEnabled(level)) stream.write(accessLine(request, reply, level, route, bindings));
    done();
  });
}
