import { Inject, Injectable } from '@nestjs/common';
import { TRACING, type Tracing } from '../common/tracing';
import type { SigningKey } from '../keys/signing-key';
import { MetricsService } from '../metrics/metrics.service';
import { signCompact, signFlattened, type JwsHeaderExtras } from './jws';

/**
 * The signing entry point for services (`jws.ts` stays pure): the same two serializations, with
 * each signature timed into `sts_signing_duration_seconds` by algorithm, a failed one counted in
 * `sts_signing_failures_total{reason="signature"}`, and each an `sts.sign` span when tracing is on.
 */
@Injectable()
export class JwsSigner {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(TRACING) private readonly tracing: Tracing,
  ) {}

  compact(payload: object | string, key: SigningKey, extras?: JwsHeaderExtras): Promise<string> {
    return this.timed(key, () => signCompact(payload, key, extras));
  }

  /** Flattened JWS JSON serialization as a string (KrakenD's `full`). */
  flattened(payload: object | string, key: SigningKey, extras?: JwsHeaderExtras): Promise<string> {
    return this.timed(key, () => signFlattened(payload, key, extras));
  }

  private timed(key: SigningKey, sign: () => Promise<string>): Promise<string> {
    if (!this.tracing.enabled) return this.measured(key, sign);
    return this.tracing.inSpan(
      'sts.sign',
      'internal',
      { 'sts.signing.alg': key.alg, 'sts.signing.kid': key.kid },
      () => this.measured(key, sign),
    );
  }

  private async measured(key: SigningKey, sign: () => Promise<string>): Promise<string> {
    const started = performance.now();
    let jws: string;
    try {
      jws = await sign();
    } catch (err) {
      this.metrics.signingFailure('signature');
      throw err;
    }
    this.metrics.signingLatency(key.alg, (performance.now() - started) / 1000);
    return jws;
  }
}
