import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface CachedToken {
  token: string;
  /** Epoch seconds. */
  mintedAt: number;
  exp: number;
}

export interface ExchangeCacheOptions {
  maxEntries: number;
  /** Upper bound on the bytes held (keys + tokens), whatever the entry count. */
  maxBytes: number;
  /** Serve a cached token only while more than this share of its lifetime is left (Oathkeeper's 10%). */
  minRemainingShare: number;
}

export const DEFAULT_EXCHANGE_CACHE: ExchangeCacheOptions = {
  maxEntries: 10_000,
  maxBytes: 32 * 1024 * 1024,
  minRemainingShare: 0.1,
};

/**
 * Minted tokens by a hash of what produced them (profile version, token slot, incoming token), so
 * a repeated incoming token skips signing. The incoming token itself is never stored.
 */
export class ExchangeCache {
  private readonly lru: LRUCache<string, CachedToken>;

  constructor(private readonly options: ExchangeCacheOptions = DEFAULT_EXCHANGE_CACHE) {
    this.lru = new LRUCache<string, CachedToken>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => key.length + value.token.length + 64,
    });
  }

  static key(...parts: string[]): string {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part).update('\0');
    return hash.digest('base64url');
  }

  /** The cached token if it still has more than the configured share of its lifetime left. */
  get(key: string, nowSeconds: number): CachedToken | undefined {
    const entry = this.lru.get(key);
    if (entry) {
      const lifetime = entry.exp - entry.mintedAt;
      if (entry.exp - nowSeconds > lifetime * this.options.minRemainingShare) {
        return entry;
      }
      this.lru.delete(key);
    }
    return undefined;
  }

  /** Tokens without a future `exp` are not cached: there is no lifetime to measure the share by. */
  set(key: string, entry: CachedToken): void {
    if (entry.exp > entry.mintedAt) this.lru.set(key, entry);
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
