import { Injectable } from '@nestjs/common';
import { KeyRegistry, type KeysetDescription } from '../keys/key-registry';
import type { PublicJwk } from '../openapi/schemas';
import type { KongJwks, KongJwksKeys } from './kong-jwks.dto';
import { KeysetsAdminService } from './keysets-admin.service';

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Public JWKs by Kong's two lists; HMAC keys have none and never appear. */
function kongKeys(keyset: KeysetDescription): KongJwksKeys {
  const jwksOf = (statuses: string[]) =>
    keyset.keys
      .filter((key) => statuses.includes(key.status) && key.publicJwk)
      .map((key) => key.publicJwk as PublicJwk);
  return { keys: jwksOf(['current', 'next']), previous: jwksOf(['previous']) };
}

function kongJwks(keyset: KeysetDescription): KongJwks {
  const newest = Math.max(...keyset.keys.map((key) => key.createdAt));
  return {
    id: keyset.stored?.id ?? null,
    name: keyset.name,
    created_at: keyset.stored ? seconds(keyset.stored.createdAt) : null,
    updated_at: Number.isFinite(newest) ? seconds(newest) : null,
    ...kongKeys(keyset),
  };
}

/**
 * Kong JWT Signer's key admin paths over our keysets, so scripts written for Kong's rotation
 * keep working: a key set is found by id or name, and answers in Kong's shape.
 */
@Injectable()
export class KongJwksService {
  constructor(
    private readonly registry: KeyRegistry,
    private readonly keysets: KeysetsAdminService,
  ) {}

  list(): KongJwks[] {
    return this.registry.list().map(kongJwks);
  }

  get(idOrName: string): KongJwksKeys {
    return kongKeys(this.find(idOrName));
  }

  /** Kong's rotation: a new key signs at once and the current one moves to `previous`. */
  async rotate(idOrName: string): Promise<KongJwksKeys> {
    const { name } = this.find(idOrName);
    await this.keysets.rotate(name, undefined);
    return kongKeys(this.registry.describe(name));
  }

  private find(idOrName: string): KeysetDescription {
    return (
      this.registry.list().find((keyset) => keyset.stored?.id === idOrName) ??
      this.registry.describe(idOrName)
    );
  }
}
