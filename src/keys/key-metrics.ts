import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CLOCK, type Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { KeyRegistry } from './key-registry';

/**
 * The keys' own metric families, read from the registry at scrape time:
 * `sts_key_age_seconds` (the current key of each keyset) and `sts_key_next_rotation_seconds`
 * (when the scheduler rotates each stored keyset next: the pending key's start, else current
 * start + period; external keysets have no schedule).
 */
@Injectable()
export class KeyMetrics {
  constructor(registry: KeyRegistry, metrics: MetricsService, @Inject(CLOCK) clock: Clock) {
    new Gauge({
      name: 'sts_key_age_seconds',
      help: 'Age of the current signing key of each keyset',
      labelNames: ['keyset'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const keyset of registry.list()) {
          const current = keyset.keys.find((key) => key.status === 'current');
          if (current) this.set({ keyset: keyset.name }, (clock.now() - current.createdAt) / 1000);
        }
      },
    });
    new Gauge({
      name: 'sts_key_next_rotation_seconds',
      help: 'Time until the next scheduled rotation of each keyset (absent: none scheduled)',
      labelNames: ['keyset'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const keyset of registry.list()) {
          const at = keyset.stored?.scheduledRotationAt;
          if (at != null) this.set({ keyset: keyset.name }, (at - clock.now()) / 1000);
        }
      },
    });
  }
}
