import { Injectable, OnModuleInit } from '@nestjs/common';
import { ReadinessProbes } from '../common/readiness-probes';
import type { Profile } from '../config/profile-parameters';
import { ProfileService } from '../profiles/profile.service';
import { compileProfile, type CompiledProfile } from './profile.compiler';
import { IDP_JWKS_PROBE, RemoteJwksCache, type RemoteJwks } from './remote-jwks.cache';
import { VerifiedTokenCache } from './verified-token-cache';

/**
 * Each profile resolved into per-slot verification policies, once per profile version (an edited
 * profile is a new object). The profiles known at start-up are compiled then, so their IdP key
 * sets are fetched before the first request and readiness can wait for them, for as long as a
 * profile still uses them.
 */
@Injectable()
export class ProfilePolicies implements OnModuleInit {
  private readonly compiled = new WeakMap<Profile, CompiledProfile>();
  /** The latest version compiled for each name, whose cached tokens an edit drops. */
  private readonly latest = new Map<string, CompiledProfile>();

  constructor(
    private readonly profiles: ProfileService,
    private readonly jwks: RemoteJwksCache,
    private readonly verifiedTokens: VerifiedTokenCache,
    probes: ReadinessProbes,
  ) {
    probes.register(IDP_JWKS_PROBE, () => this.jwks.readiness(this.jwksInUse()));
  }

  async onModuleInit(): Promise<void> {
    this.list();
    // A failing IdP is logged and retried on use; it never stops start-up.
    await this.jwks.warm();
  }

  /** The policies of every profile there is now. */
  list(): CompiledProfile[] {
    return this.profiles.list().map((profile) => this.of(profile));
  }

  /** The policies of a profile; 404 when there is none of that name. */
  get(name: string): CompiledProfile {
    return this.of(this.profiles.get(name));
  }

  /** The IdP key sets the profiles that exist now verify with. */
  private jwksInUse(): Set<RemoteJwks> {
    const sets = new Set<RemoteJwks>();
    for (const profile of this.profiles.list()) {
      const { access, channel } = this.of(profile);
      for (const slot of [access, channel]) if (slot.jwks) sets.add(slot.jwks);
    }
    return sets;
  }

  private of(profile: Profile): CompiledProfile {
    let compiled = this.compiled.get(profile);
    if (!compiled) {
      compiled = compileProfile(profile, (source) => this.jwks.register(source));
      this.compiled.set(profile, compiled);
      const replaced = this.latest.get(profile.name);
      if (replaced) this.verifiedTokens.forget([replaced.access, replaced.channel]);
      this.latest.set(profile.name, compiled);
    }
    return compiled;
  }
}
