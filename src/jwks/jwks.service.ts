import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Errors } from '../common/errors';
import { KeyRegistry } from '../keys/key-registry';
import { KeysetService } from '../keys/keyset.service';

export interface JwksDocument {
  body: string;
  etag: string;
}

/** Seconds downstream caches may keep our JWKS; well below any pre-publication window. */
export const JWKS_MAX_AGE_SECONDS = 300;

@Injectable()
export class JwksService {
  private readonly cache = new Map<string, JwksDocument>();
  private cachedVersion = -1;

  constructor(
    private readonly keysets: KeyRegistry,
    private readonly stored: KeysetService,
  ) {}

  /**
   * The serialized JWKS (all keysets, or one) with its strong ETag, rebuilt only after key
   * changes; with instances sharing the store, every key stored before the request is in it.
   */
  async document(keyset?: string): Promise<JwksDocument> {
    await this.stored.syncForReaders();
    if (keyset !== undefined && !this.keysets.has(keyset))
      throw Errors.notFound(`keyset "${keyset}"`);
    if (this.cachedVersion !== this.keysets.publishedVersion) {
      this.cache.clear();
      this.cachedVersion = this.keysets.publishedVersion;
    }
    const cacheKey = keyset ?? '';
    let doc = this.cache.get(cacheKey);
    if (!doc) {
      const body = JSON.stringify({ keys: this.keysets.publishedKeys(keyset) });
      doc = {
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      };
      this.cache.set(cacheKey, doc);
    }
    return doc;
  }
}

/** RFC 9110 If-None-Match: a list of (possibly weak) tags, or `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
