import type { JWTHeaderParameters } from 'jose';
import type { Profile } from '../config/profile-parameters';

/** What a token endpoint received, in the shape every controller can build. */
export interface TokenRequest {
  /** Lower-cased names, as Fastify gives them (Node keeps only the first of some repeated ones). */
  headers: Record<string, string | string[] | undefined>;
  /** Every header line as received, `[name, value, …]` (Node's `rawHeaders`): tokens are read here. */
  rawHeaders: readonly string[];
  query?: Record<string, string | string[] | undefined>;
  /** JSON body form of /verify and /exchange. */
  body?: { access_token?: unknown; channel_token?: unknown };
}

export interface VerifiedToken {
  kind: 'jwt' | 'opaque';
  /** Exactly as received (for `original_*_upstream_header`). */
  token: string;
  /** Where it was found: 'header:authorization', 'query:jwt', 'cookie:jwt', 'body'. */
  source: string;
  /** JWT only. */
  header?: JWTHeaderParameters;
  /**
   * The JWT payload, or the introspection result minus `active` (or the payload of the JWT at
   * `*_introspection_jwt_claim`).
   */
  claims: Record<string, unknown>;
  introspected: boolean;
  /** Epoch seconds when known (`exp`), for cache bounds. */
  expiresAt?: number;
}

export interface ResolvedConsumer {
  id: string;
  username?: string;
  custom_id?: string;
  /** Kong JWT credential key that verified the token (`X-Credential-Identifier`). */
  credential?: string;
  /** True when the `anonymous` consumer was used. */
  anonymous: boolean;
}

export interface VerificationResult {
  /** Validated profile, Kong defaults applied. */
  profile: Profile;
  access_token?: VerifiedToken;
  channel_token?: VerifiedToken;
  consumer?: ResolvedConsumer;
}
