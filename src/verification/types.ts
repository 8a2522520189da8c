// TEMPORARY: mirrors the interface agreed with the verification work (issue 4); replaced at merge.
import type { JWTHeaderParameters } from 'jose';

export interface TokenRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, string | string[] | undefined>;
  body?: { access_token?: unknown; channel_token?: unknown };
}
export interface VerifiedToken {
  kind: 'jwt' | 'opaque';
  token: string;
  source: string;
  header?: JWTHeaderParameters;
  claims: Record<string, unknown>;
  introspected: boolean;
  expiresAt?: number;
}
export interface ResolvedConsumer {
  id: string;
  username?: string;
  custom_id?: string;
  credential?: string;
  anonymous: boolean;
}
export interface Profile {
  name: string;
  [key: string]: unknown;
}
export interface VerificationResult {
  profile: Profile;
  access_token?: VerifiedToken;
  channel_token?: VerifiedToken;
  consumer?: ResolvedConsumer;
}
