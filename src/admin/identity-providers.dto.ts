import { ApiProperty } from '@nestjs/swagger';
import type { FetchSummary } from '../verification/fetch-history';
import type {
  IntrospectionProviderStatus,
  JwksProviderStatus,
} from '../verification/identity-providers';
import { isoTime } from './iso-time';

const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;
const FAILURES = {
  type: 'object',
  additionalProperties: { type: 'integer' },
  example: { timeout: 1, http_status: 3 },
  description:
    'Failed calls since start by kind: url_refused, timeout, network, pin_mismatch, too_large, http_status, invalid_json, invalid_jwks (JWKS), invalid_answer (introspection)',
} as const;

export class LastCallView {
  @ApiProperty({ ...NULLABLE_TIME, description: 'When it ended; null before the first' })
  at!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ok',
    description: '`ok` or the kind of failure',
  })
  result!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'The last failure' })
  error!: string | null;
}

export class IdpKeyView {
  @ApiProperty({ type: String, nullable: true }) kid!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'RSA' }) kty!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'RS256' }) alg!: string | null;
}

export class JwksProviderView {
  @ApiProperty({ description: 'User info and query values redacted' }) jwks_uri!: string;
  @ApiProperty({ description: 'Fetched with Basic credentials' }) authenticated!: boolean;
  @ApiProperty({ type: [String], example: ['api'] }) profiles!: string[];
  @ApiProperty({ type: [IdpKeyView], description: 'The keys held now (never key material)' })
  keys!: IdpKeyView[];
  @ApiProperty({ type: LastCallView }) last_fetch!: LastCallView;
  @ApiProperty(NULLABLE_TIME) last_success_at!: string | null;
  @ApiProperty({
    ...NULLABLE_TIME,
    description:
      'From then on the next token fetches the set again (an unknown kid may, once per cooldown, sooner); before a first success, when the next try may start',
  })
  next_refresh_at!: string | null;
  @ApiProperty(FAILURES) failures!: Record<string, number>;
}

export class IntrospectionProviderView {
  @ApiProperty({ description: 'User info and query values redacted' }) endpoint!: string;
  @ApiProperty({ type: [String], example: ['opaque'] }) profiles!: string[];
  @ApiProperty({ description: 'Active results held in the introspection cache' })
  cached_results!: number;
  @ApiProperty({ type: LastCallView }) last_call!: LastCallView;
  @ApiProperty(NULLABLE_TIME) last_success_at!: string | null;
  @ApiProperty(FAILURES) failures!: Record<string, number>;
}

export class IdentityProvidersView {
  @ApiProperty({ type: [JwksProviderView] }) jwks!: JwksProviderView[];
  @ApiProperty({ type: [IntrospectionProviderView] }) introspection!: IntrospectionProviderView[];
}

function lastCall(calls: FetchSummary): LastCallView {
  return { at: isoTime(calls.lastAt), result: calls.lastResult, error: calls.lastError };
}

export function identityProvidersView(described: {
  jwks: JwksProviderStatus[];
  introspection: IntrospectionProviderStatus[];
}): IdentityProvidersView {
  return {
    jwks: described.jwks.map((set) => ({
      jwks_uri: set.uri,
      authenticated: set.authenticated,
      profiles: set.profiles,
      keys: set.keys.map((key) => ({
        kid: key.kid ?? null,
        kty: key.kty ?? null,
        alg: key.alg ?? null,
      })),
      last_fetch: lastCall(set.fetches),
      last_success_at: isoTime(set.fetches.lastSuccessAt),
      next_refresh_at: isoTime(set.nextRefreshAt),
      failures: set.fetches.failures,
    })),
    introspection: described.introspection.map((endpoint) => ({
      endpoint: endpoint.endpoint,
      profiles: endpoint.profiles,
      cached_results: endpoint.cachedResults,
      last_call: lastCall(endpoint.calls),
      last_success_at: isoTime(endpoint.calls.lastSuccessAt),
      failures: endpoint.calls.failures,
    })),
  };
}
