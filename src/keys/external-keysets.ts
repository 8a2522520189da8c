import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { OutboundHttp } from '../common/outbound-http';
import { MetricsService } from '../metrics/metrics.service';
import { KeyRegistry, selectSigningKey, type HeldKeyset, type KeySelection } from './key-registry';
import { loadPrivateJwks, type PrivateJwksSource } from './private-jwks';

/**
 * Externally managed private JWKS (Kong's keyset-URL mode, KrakenD's `jwk-url`), held in memory
 * only and refreshed on a timer; a failed refresh keeps the last good keys.
 */
@Injectable()
export class ExternalKeysets implements OnModuleDestroy {
  private readonly logger = new Logger(ExternalKeysets.name);
  private readonly refreshTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly registry: KeyRegistry,
    private readonly http: OutboundHttp,
    private readonly metrics: MetricsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleDestroy(): void {
    for (const timer of this.refreshTimers.values()) clearInterval(timer);
    this.refreshTimers.clear();
  }

  /**
   * Loads a set and refreshes it every `refreshSeconds`. Registering a name again replaces it —
   * but only once the new set loads and holds a key for `require`, so a bad change leaves the
   * old one.
   */
  async register(
    name: string,
    source: PrivateJwksSource,
    refreshSeconds?: number,
    options: { listed?: boolean; require?: KeySelection } = {},
  ): Promise<void> {
    const load = async (): Promise<void> => {
      const loaded = await loadPrivateJwks(this.http, source, this.clock.now());
      const keyset: HeldKeyset = {
        name,
        algorithm: source.algorithm,
        origin: { kind: 'external', source, refreshSeconds, listed: options.listed ?? true },
        keys: loaded.map((key) => ({
          ...key,
          generation: 0,
          activeFrom: key.createdAt,
          retiredAt: null,
        })),
      };
      if (options.require) selectSigningKey(keyset, options.require);
      this.registry.hold(keyset);
    };
    // Counted, so a key server failing for hours behind the last good keys can be alerted on.
    const counted = () =>
      load().then(
        () => this.metrics.externalKeysetLoad(name, true),
        (err: unknown) => {
          this.metrics.externalKeysetLoad(name, false);
          throw err;
        },
      );
    await counted();
    this.stopRefresh(name);
    if (refreshSeconds && refreshSeconds > 0) {
      const timer = setInterval(() => {
        counted().catch((err: Error) =>
          this.logger.warn(
            `refresh of external keyset "${name}" failed, keeping the last keys: ${err.message}`,
          ),
        );
      }, refreshSeconds * 1000);
      timer.unref();
      this.refreshTimers.set(name, timer);
    }
  }

  /** Forgets an external key set (its signer was deleted or no longer uses it). */
  unregister(name: string): void {
    if (this.registry.get(name)?.origin.kind !== 'external') return;
    this.stopRefresh(name);
    this.registry.drop(name);
  }

  private stopRefresh(name: string): void {
    clearInterval(this.refreshTimers.get(name));
    this.refreshTimers.delete(name);
  }
}
