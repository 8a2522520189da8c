import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger } from 'pino';

/** DI token of the app's root pino logger. */
export const APP_LOGGER = Symbol('APP_LOGGER');

export const REDACTED = '[REDACTED]';

/**
 * Field names (any case) whose values are credentials wherever they appear in a logged object:
 * headers, bodies, JWKs (`d`, `p`, `q`, `dp`, `dq`, `qi` and `k` are private JWK members). Access
 * lines never include headers or bodies in the first place; this is the second line of defence
 * for anything else that gets logged.
 */
const SECRET_FIELDS = new Set(
  [
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'channel_token',
    'subject_token',
    'actor_token',
    'client_secret',
    'secret',
    'password',
    'private_key',
    'privatekey',
    'privatejwk',
    'master_key',
    'masterkey',
    'd',
    'p',
    'q',
    'dp',
    'dq',
    'qi',
    'k',
  ].map((name) => name.toLowerCase()),
);

/** Deep enough for `{ req: { headers: { authorization } } }`-like shapes and JWK sets. */
const SCRUB_DEPTH = 5;

const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Copies what is logged with every secret field's value replaced (originals are not touched).
 * Hand-written rather than pino's `redact` because that needs a wildcard path per name and depth,
 * which cost ~60 µs per line against ~2 µs here. Only plain objects and arrays are walked:
 * errors and other instances go to their serializers as they are.
 */
export function scrubSecrets<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > SCRUB_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const scrubbed = scrubSecrets(item, depth + 1);
      if (scrubbed !== item) (copy ??= [...value])[index] = scrubbed;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(source)) {
    const scrubbed = SECRET_FIELDS.has(key.toLowerCase())
      ? REDACTED
      : scrubSecrets(item, depth + 1);
    if (scrubbed !== item) (copy ??= { ...source })[key] = scrubbed;
  }
  return (copy ?? value) as T;
}

/**
 * The URL as it may be logged: the path, and the query with every value replaced. Our endpoints
 * take tokens in the query under names each profile chooses (Kong's `uri_param_names`), so no
 * query value is ever safe to log.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url.slice(0, 2048);
  const names = url
    .slice(queryStart + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=', 1)[0]}=${REDACTED}`);
  return `${url.slice(0, Math.min(queryStart, 2048))}?${names.join('&')}`;
}

/**
 * An outbound URL (IdP JWKS, introspection endpoint, signer backend) as it may be logged: user
 * info and query values replaced. Operators put API keys there (`?api_key=…`, `user:pass@`).
 */
export function redactOutboundUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUrl(url);
  }
  const userInfo = parsed.username || parsed.password ? `${REDACTED}@` : '';
  const base = `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}`;
  return parsed.search ? redactUrl(`${base}${parsed.search}`) : base;
}

const REQUEST_ID = /^[A-Za-z0-9._:;=/+@-]{1,128}$/;

/**
 * `X-Request-Id` from the caller (a gateway's trace id) when it is short and plain, else a new
 * UUID: a caller cannot put arbitrary text, newlines or megabytes into every log line.
 */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** What a logged request looks like: never headers, never query values. */
function serializeRequest(req: { method?: string; url?: string; ip?: string }): object {
  return { method: req.method, url: redactUrl(req.url ?? ''), remoteAddress: req.ip };
}

/**
 * pino's error serializer, then the scrub: errors may carry fields like `token` too, and outbound
 * errors their target `url`.
 */
const serializeError = (err: Error): object => {
  const serialized: Record<string, unknown> = scrubSecrets({ ...pino.stdSerializers.err(err) });
  if (typeof serialized.url === 'string') serialized.url = redactOutboundUrl(serialized.url);
  return serialized;
};

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go (tests capture them); stdout when absent. */
  stream?: DestinationStream;
}

function prettyWhenTerminal(): DestinationStream | undefined {
  if (!process.stdout.isTTY) return undefined;
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined; // an optional dependency: plain JSON without it
  }
  return pino.transport({
    target: 'pino-pretty',
    options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
  });
}

/** The one pino logger of an app instance: JSON lines, credentials redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: scrubSecrets },
      serializers: { req: serializeRequest, err: serializeError },
    },
    options.stream ?? prettyWhenTerminal() ?? bufferedStdout(),
  );
}

/** Buffered lines leave at least this often, however quiet the service is. */
export const LOG_FLUSH_MS = 50;

/**
 * stdout written in batches of about 4 KB (or every `LOG_FLUSH_MS`), not a write per line: under
 * load one write per access line, each a thread-pool round trip, cost a quarter of a cache hit's
 * time. pino flushes what is buffered when the process exits.
 */
function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, minLength: 4096, periodicFlush: LOG_FLUSH_MS });
}
