import { parseCookie } from 'cookie';
import { Errors } from '../common/errors';
import type { TokenKind } from '../config/profile-parameters';
import type { TokenRequest } from './types';
import { Rejections } from './rejections';

/** Where one token slot may come from. */
export interface TokenSources {
  /** JSON body member (`access_token` / `channel_token`); none when the slot is not read. */
  body?: TokenKind;
  /**
   * Kong JWT Signer's `*_request_header` (lower-cased, suffix removed; with `_` also read as `-`,
   * as Kong): the value, with a `Bearer ` or `Basic ` prefix (any case) removed.
   */
  headers?: readonly string[];
  /** Kong JWT `header_names`: only `Bearer <token>` values count. */
  bearerHeaders?: readonly string[];
  /** Kong JWT `uri_param_names`. */
  queryParams?: readonly string[];
  /** Kong JWT `cookie_names`. */
  cookies?: readonly string[];
}

export interface FoundToken {
  token: string;
  source: string;
}

/** The scheme alone (`Bearer ` with nothing after it) leaves no token: missing, not invalid. */
const SCHEME_PREFIX = /^(bearer|basic)(\s+|$)/i;
const BEARER_ONLY = /^\s*bearer\s+(.+)$/i;

/**
 * Every value sent under one (lower-case) header name, as single entries. Read from the raw
 * headers: Node keeps only the first `Authorization` (and a few others) and drops the rest, so a
 * second token there would reach a gateway that reads the last one but not us (a smuggling
 * differential). A value holding several (`a, b`, as repeated headers are folded) is split on
 * commas; tokens never contain one (RFC 6750 b64token).
 */
function headerValues(request: TokenRequest, name: string): string[] {
  const values: string[] = [];
  // Not sent at all (Node records at least the first): the raw headers need no scan.
  if (request.headers[name] === undefined) return values;
  const { rawHeaders } = request;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const field = rawHeaders[i]!;
    if (field.length !== name.length || field.toLowerCase() !== name) continue;
    for (const part of rawHeaders[i + 1]!.split(',')) {
      const value = part.trim();
      if (value) values.push(value);
    }
  }
  return values;
}

function queryValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

/**
 * Finds the token of one slot. Every configured place is read; the same token found twice is
 * fine, two different ones are rejected (anti-smuggling, as Kong JWT), and a token over
 * `maxBytes` is rejected before anything else looks at it.
 */
export function extractToken(
  sources: TokenSources,
  request: TokenRequest,
  maxBytes: number,
): FoundToken | undefined {
  const found: FoundToken[] = [];
  for (const name of sources.headers ?? []) {
    for (const value of headerValues(request, name)) {
      const token = value.replace(SCHEME_PREFIX, '').trim();
      if (token) found.push({ token, source: `header:${name}` });
    }
  }
  for (const name of sources.bearerHeaders ?? []) {
    for (const value of headerValues(request, name.toLowerCase())) {
      const token = BEARER_ONLY.exec(value)?.[1]?.trim();
      if (token) found.push({ token, source: `header:${name.toLowerCase()}` });
    }
  }
  for (const name of sources.queryParams ?? []) {
    for (const token of queryValues(request.query?.[name]))
      found.push({ token, source: `query:${name}` });
  }
  if (sources.cookies && sources.cookies.length > 0) {
    const header = request.headers.cookie;
    // One pair at a time: parseCookie keeps only the first of a name sent twice.
    const pairs = (Array.isArray(header) ? header.join(';') : (header ?? ''))
      .split(';')
      .map((pair) => parseCookie(pair));
    for (const name of sources.cookies) {
      for (const pair of pairs) {
        const token = pair[name];
        if (token) found.push({ token, source: `cookie:${name}` });
      }
    }
  }
  const fromBody = sources.body ? request.body?.[sources.body] : undefined;
  if (fromBody !== undefined && fromBody !== null) {
    if (typeof fromBody !== 'string')
      throw Errors.invalidRequest(`${sources.body} in the body must be a string`);
    if (fromBody !== '') found.push({ token: fromBody, source: 'body' });
  }

  if (found.length === 0) return undefined;
  if (found.some(({ token }) => Buffer.byteLength(token) > maxBytes))
    throw Rejections.tooLarge(maxBytes);
  const first = found[0]!;
  if (found.some(({ token }) => token !== first.token)) throw Rejections.multiple();
  return first;
}
