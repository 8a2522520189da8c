import { Injectable } from '@nestjs/common';
import type { SigningKey } from '../keys/signing-key';
import { MetricsService } from '../metrics/metrics.service';
import { signCompact, signFlattened, type JwsHeaderExtras } from './jws';

/**
 * The signing entry point for services (`jws.ts` stays pure): the same two serializations, with
 * each signature timed into `sts_signing_duration_seconds` by algorithm.
 */
@Injectable()
export class JwsSigner {
  constructor(private readonly metrics: MetricsService) {}

  compact(payload: object | string, key: SigningKey, extras?: JwsHeaderExtras): Promise<string> {
    return this.timed(key, () => signCompact(payload, key, extras));
  }

  /** Flattened JWS JSON serialization as a string (KrakenD's `full`). */
  flattened(payload: object | string, key: SigningKey, extras?: JwsHeaderExtras): Promise<string> {
    return this.timed(key, () => signFlattened(payload, key, extras));
  }

  private async timed(key: SigningKey, sign: () => Promise<string>): Promise<string> {
    const started = performance.now();
    const jws = await sign();
    this.metrics.signingLatency(key.alg, (performance.now() - started) / 1000);
    return jws;
  }
}
