import { Inject, Injectable, Logger } from '@nestjs/common';
import proxyAddr from '@fastify/proxy-addr';
import { catalogueEntry, DEFAULT_REALM, errorAnswer } from '../common/error-answer';
import { StsError } from '../common/errors';
import { bearerChallenge } from '../common/www-authenticate';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ProfileExchangeService } from '../upstream/profile-exchange.service';

export interface ForwardAuthRequest {
  profile: string;
  method: string;
  /** The path after `/authz/{profile}` plus the query string, as received. */
  suffix: string;
  headers: Record<string, string | string[] | undefined>;
  /** Every header line as received (see TokenRequest). */
  rawHeaders: readonly string[];
  remoteAddress: string;
}

export interface ForwardAuthAnswer {
  status: 200 | 401 | 403;
  headers: Record<string, string>;
  /** For the access log: `OK`, or the code of the error behind the denial. */
  outcome: string;
}

/** Alias for gateways that cannot overwrite `Authorization` from an auth response (Caddy, Traefik). */
export const AUTHORIZATION_ALIAS = 'X-Sts-Authorization';

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * The query of the original URI with every value of a repeated name, as Fastify parses a query:
 * Kong JWT's `uri_param_names` reads them all, so `?jwt=a&jwt=b` is two tokens here too.
 */
function queryOf(uri: string): Record<string, string | string[]> {
  const query = Object.create(null) as Record<string, string | string[]>;
  // Most forwarded URIs have no query: no URL to parse for them.
  if (!uri.includes('?')) return query;
  for (const [name, value] of new URL(uri, 'http://authz.invalid').searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/**
 * Forward-auth for nginx `auth_request`, Envoy `ext_authz`, Traefik ForwardAuth and Caddy
 * `forward_auth`: the exchange result as response headers on `200`, or `401`/`403` with
 * `WWW-Authenticate`. Every other outcome — bad request, unknown profile, IdP down, internal
 * error — is answered `401`: nginx turns any other status into a 500 for the client, and an Envoy
 * with `failure_mode_allow` would let a 5xx through.
 */
@Injectable()
export class ForwardAuthService {
  private readonly logger = new Logger(ForwardAuthService.name);
  private readonly trusted: (address: string, hop: number) => boolean;

  constructor(
    private readonly exchange: ProfileExchangeService,
    @Inject(STS_CONFIG) config: StsConfig,
  ) {
    this.trusted = proxyAddr.compile([...config.trustedProxies]);
  }

  async authorize(request: ForwardAuthRequest): Promise<ForwardAuthAnswer> {
    try {
      const original = this.originalRequest(request);
      const query = queryOf(original.uri);
      const result = await this.exchange.exchange(
        request.profile,
        { headers: request.headers, rawHeaders: request.rawHeaders, query },
        { method: original.method, uri: original.uri },
      );
      const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...result.headers };
      headers[AUTHORIZATION_ALIAS] = result.access_token ? `Bearer ${result.access_token}` : '';
      return { status: 200, headers, outcome: 'OK' };
    } catch (err) {
      return this.denial(err);
    }
  }

  /** Original method and URI: from the proxy's headers only when the caller is a trusted proxy. */
  private originalRequest(request: ForwardAuthRequest): { method: string; uri: string } {
    const fallback = {
      method: request.method,
      uri: request.suffix.startsWith('/') ? request.suffix : `/${request.suffix}`,
    };
    if (!this.trusted(request.remoteAddress, 0)) return fallback;
    const h = request.headers;
    const uri = first(h['x-forwarded-uri']) ?? first(h['x-original-uri']);
    const method = first(h['x-forwarded-method']) ?? first(h['x-original-method']);
    return { method: method ?? fallback.method, uri: uri ?? fallback.uri };
  }

  private denial(err: unknown): ForwardAuthAnswer {
    if (err instanceof StsError) {
      const { status } = catalogueEntry(err);
      if (status === 401 || status === 403) {
        const answer = errorAnswer(err);
        return {
          status,
          headers: { 'Cache-Control': 'no-store', ...answer.headers },
          outcome: err.code,
        };
      }
      this.logger.warn(`forward-auth denied after ${err.code}: ${err.description}`);
    } else {
      this.logger.error(
        `forward-auth internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
    return forwardAuthRefusal(
      err instanceof StsError ? err.code : 'ERR_INTERNAL',
      err instanceof StsError ? err.facts.realm : undefined,
      err instanceof StsError && err.code === 'ERR_IDP_UNAVAILABLE'
        ? 'identity provider unavailable'
        : 'request not authorized',
    );
  }
}

/**
 * The 401 forward-auth gives for anything that is not a token's own 401/403 (bad request, unknown
 * profile, IdP down, internal error, an unroutable URL).
 */
export function forwardAuthRefusal(
  outcome: string,
  realm = DEFAULT_REALM,
  description = 'request not authorized',
): ForwardAuthAnswer {
  return {
    status: 401,
    outcome,
    headers: {
      'Cache-Control': 'no-store',
      'WWW-Authenticate': bearerChallenge(realm, 'invalid_token', description),
    },
  };
}
