import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, epochSeconds, type Clock } from '../common/clock';
import { Errors } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { DEFAULT_KEYSET } from '../keys/key-registry';
import { CertificateService } from '../signing/certificate.service';
import { optumClaims, payloadHashOf } from '../signing/optum';
import { optumFileSigning, type OptumSigning } from '../signing/optum-key';
import { slotSigning, upstreamHeader, type TokenSlot } from '../signing/profile-signing';
import { ResigningService } from '../signing/resigning.service';
import { VerificationService } from '../verification/verification.service';
import type { UpstreamJwtSettings } from '../config/profile-parameters';
import type { ResolvedConsumer, TokenRequest } from '../verification/types';

/** What the gateway tells us about the request it is about to proxy (for Optum mode). */
export interface UpstreamRequest {
  method?: string;
  uri?: string;
  /** Lowercase hex SHA-256 of the upstream body, computed by the caller. */
  bodySha256?: string;
  /** Or the upstream body itself. */
  rawBody?: Buffer;
}

export interface ExchangeResult {
  access_token?: string;
  channel_token?: string;
  expires_in?: number;
  /** The complete set of upstream headers, ready to apply as-is. */
  headers: Record<string, string>;
}

const SLOTS: readonly TokenSlot[] = ['access_token', 'channel_token'];

/**
 * `X-Consumer-*` headers as Kong sets them for a resolved consumer (seed 002). All of them are
 * always present, empty when unknown, so a gateway that copies them overwrites whatever the
 * client sent under those names.
 */
export function consumerHeaders(consumer: ResolvedConsumer | undefined): Record<string, string> {
  return {
    'X-Consumer-ID': consumer?.id ?? '',
    'X-Consumer-Custom-ID': consumer?.custom_id ?? '',
    'X-Consumer-Username': consumer?.username ?? '',
    'X-Credential-Identifier': consumer?.credential ?? '',
    'X-Anonymous-Consumer': consumer?.anonymous ? 'true' : '',
  };
}

/**
 * `/exchange/{profile}` (and forward-auth): verify as the profile says, then re-sign each present
 * token exactly as Kong JWT Signer does and assemble the upstream headers.
 */
@Injectable()
export class ProfileExchangeService {
  constructor(
    private readonly verification: VerificationService,
    private readonly resigning: ResigningService,
    private readonly certificates: CertificateService,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async exchange(
    profileName: string,
    request: TokenRequest,
    upstream: UpstreamRequest = {},
  ): Promise<ExchangeResult> {
    const result = await this.verification.verify(profileName, request);
    const { profile } = result;
    const headers: Record<string, string> = {};
    const out: ExchangeResult = { headers };
    const now = epochSeconds(this.clock);
    for (const slot of SLOTS) {
      const settings = slotSigning(profile, slot);
      // Headers we own are always sent (empty without a token) so client values never survive.
      if (settings.originalHeader) headers[settings.originalHeader] = '';
      if (settings.enabled && settings.upstreamHeader)
        headers[upstreamHeader(settings.upstreamHeader, '')[0]] = '';
      const verified = result[slot];
      if (!verified) continue;
      if (settings.originalHeader) headers[settings.originalHeader] = verified.token;
      if (!settings.enabled || !settings.upstreamHeader) continue;
      const minted = await this.resigning.resign(profile, slot, verified);
      out[slot] = minted.token;
      const [name, value] = upstreamHeader(settings.upstreamHeader, minted.token);
      headers[name] = value;
      if (minted.exp !== undefined && (slot === 'access_token' || out.expires_in === undefined)) {
        out.expires_in = Math.max(0, minted.exp - now);
      }
    }
    Object.assign(headers, consumerHeaders(result.consumer));
    const optum = profile.upstream_jwt;
    if (optum) {
      const [name, value] = await this.optumHeader(optum, result.consumer, upstream, now);
      headers[name] = value;
    }
    return out;
  }

  /** Optum's Kong Upstream JWT: a fresh short-lived token binding this request's body. */
  private async optumHeader(
    settings: UpstreamJwtSettings,
    consumer: ResolvedConsumer | undefined,
    upstream: UpstreamRequest,
    now: number,
  ): Promise<[string, string]> {
    if (upstream.bodySha256 !== undefined && !/^([0-9a-f]{64})?$/.test(upstream.bodySha256)) {
      throw Errors.invalidRequest(
        'request.body_sha256 must be lowercase hex SHA-256 (or "" for no body)',
      );
    }
    const claims = optumClaims({
      nowSeconds: now,
      ttlSeconds: settings.ttl,
      issuer: settings.issuer ?? this.config.issuer,
      audience: settings.audience ?? upstream.uri,
      consumer: consumer && !consumer.anonymous ? consumer : undefined,
      payloadHash: upstream.bodySha256 ?? payloadHashOf(upstream.rawBody),
    });
    if (!settings.payloadhash) delete claims.payloadhash;
    const { key, x5c } = await this.optumSigning(settings, now);
    const jwt = await this.resigning.sign(claims, key, { x5c });
    return [settings.header, settings.include_credential_type ? `Bearer ${jwt}` : jwt];
  }

  /** Optum's key files when configured, else our keyset (and its certificate when `x5c`). */
  private async optumSigning(settings: UpstreamJwtSettings, now: number): Promise<OptumSigning> {
    const fromFiles = optumFileSigning(settings, now);
    if (fromFiles) return fromFiles;
    const keyset = settings.keyset ?? DEFAULT_KEYSET;
    const key = await this.resigning.signingKeyFor(keyset, undefined);
    const x5c = settings.x5c ? await this.certificates.chainFor(keyset, key) : undefined;
    return { key, x5c };
  }
}
