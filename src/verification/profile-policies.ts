import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Profile } from '../config/profile-parameters';
import { ProfileService } from '../profiles/profile.service';
import { compileProfile, type CompiledProfile } from './profile.compiler';
import { RemoteJwksCache } from './remote-jwks.cache';

/**
 * Each profile resolved into per-slot verification policies, once per profile version (an edited
 * profile is a new object). The profiles known at start-up are compiled then, so their IdP key
 * sets are fetched before the first request and readiness can wait for them.
 */
@Injectable()
export class ProfilePolicies implements OnModuleInit {
  private readonly compiled = new WeakMap<Profile, CompiledProfile>();

  constructor(
    private readonly profiles: ProfileService,
    private readonly jwks: RemoteJwksCache,
  ) {}

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

  private of(profile: Profile): CompiledProfile {
    let compiled = this.compiled.get(profile);
    if (!compiled) {
      compiled = compileProfile(profile, (source) => this.jwks.register(source));
      this.compiled.set(profile, compiled);
    }
    return compiled;
  }
}
