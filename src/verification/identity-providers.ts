import { Injectable } from '@nestjs/common';
import { redactOutboundUrl } from '../logging/logger';
import type { FetchSummary } from './fetch-history';
import { IntrospectionClient } from './introspection.client';
import { ProfilePolicies } from './profile-policies';
import type { RemoteJwks, RemoteJwksStatus } from './remote-jwks.cache';

export interface JwksProviderStatus extends RemoteJwksStatus {
  /** The profiles that verify tokens with this key set. */
  profiles: string[];
}

export interface IntrospectionProviderStatus {
  endpoint: string;
  profiles: string[];
  cachedResults: number;
  calls: FetchSummary;
}

/** Adds a profile to the names using `key`. */
function addUser<K>(users: Map<K, Set<string>>, key: K, profile: string): void {
  users.set(key, (users.get(key) ?? new Set<string>()).add(profile));
}

const sorted = (names: Set<string>): string[] => [...names].sort();

/**
 * The identity providers the current profiles verify with, as an operator needs to see them: per
 * JWKS URL the keys held and the fetches, per introspection endpoint the calls and cached results.
 * URLs are shown without user info or query values (operators put API keys there).
 */
@Injectable()
export class IdentityProviders {
  constructor(
    private readonly policies: ProfilePolicies,
    private readonly introspection: IntrospectionClient,
  ) {}

  describe(): { jwks: JwksProviderStatus[]; introspection: IntrospectionProviderStatus[] } {
    const jwks = new Map<RemoteJwks, Set<string>>();
    const endpoints = new Map<string, Set<string>>();
    for (const { profile, access, channel } of this.policies.list()) {
      for (const slot of [access, channel]) {
        if (slot.jwks) addUser(jwks, slot.jwks, profile.name);
        if (slot.introspection) addUser(endpoints, slot.introspection.endpoint, profile.name);
      }
    }
    return {
      jwks: [...jwks]
        .map(([set, profiles]) => {
          const status = set.status();
          return { ...status, uri: redactOutboundUrl(status.uri), profiles: sorted(profiles) };
        })
        .sort((a, b) => a.uri.localeCompare(b.uri)),
      introspection: [...endpoints]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([endpoint, profiles]) => ({
          endpoint: redactOutboundUrl(endpoint),
          profiles: sorted(profiles),
          ...this.introspection.status(endpoint),
        })),
    };
  }
}
