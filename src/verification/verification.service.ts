import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { CLOCK, epochSeconds, type Clock } from '../common/clock';
import { StsError } from '../common/errors';
import { deepFreeze } from '../common/freeze';
import { TRACING, type Tracing } from '../common/tracing';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { ConsumerService, type Consumer, type HeldCredential } from '../consumers/consumer.service';
import { MetricsService } from '../metrics/metrics.service';
import { checkClaims, expiryOf, pathLabel, readClaim, type Claims } from './claim-checks';
import { IntrospectionClient } from './introspection.client';
import { decodeJws, looksLikeJws } from './jws-verification';
import { checkRegisteredClaims, verifyWithCredential } from './kong-jwt';
import type { CompiledProfile, ConsumerMapping, SlotPolicy } from './profile.compiler';
import { ProfilePolicies } from './profile-policies';
import { checkStrictJws } from './strict-jws';
import { extractToken } from './token-extraction';
import type { ResolvedConsumer, TokenRequest, VerificationResult, VerifiedToken } from './types';
import { isRefusal, isRejection, Rejections } from './rejections';
import { VerifiedTokenCache, type CachedSignature } from './verified-token-cache';

/** What verifying one slot produced. */
interface SlotOutcome {
  verified?: VerifiedToken;
  /** The raw introspection answer, for `*_introspection_consumer_claim`. */
  introspection?: Claims;
  /** Kong JWT: the credential that verified the token. */
  credential?: HeldCredential;
  /** Kong JWT: authentication failed and the `anonymous` consumer stands in. */
  anonymous?: Consumer;
}

const resolved = (
  consumer: Consumer,
  extra: { credential?: string; anonymous: boolean },
): ResolvedConsumer => ({
  id: consumer.id,
  ...(consumer.username !== null ? { username: consumer.username } : {}),
  ...(consumer.custom_id !== null ? { custom_id: consumer.custom_id } : {}),
  ...(extra.credential !== undefined ? { credential: extra.credential } : {}),
  anonymous: extra.anonymous,
});

/** Cached results are shared between requests: nobody may change them. */
const frozen = <T extends object>(value: T): T => deepFreeze(value);

/**
 * Verifies the tokens of a request as a profile says, in Kong JWT Signer's order: the access
 * token fully, then the channel token; per token: read → classify (JWS / JWE / opaque) → verify
 * the signature or introspect → claim checks → consumer mapping. A refused token leaves as a
 * rejection (see rejections.ts) naming the profile's realm; the endpoint turns it into its answer.
 */
@Injectable()
export class VerificationService {
  private readonly logger = new Logger('Verification');

  constructor(
    private readonly policies: ProfilePolicies,
    private readonly verifiedTokens: VerifiedTokenCache,
    private readonly consumers: ConsumerService,
    private readonly introspection: IntrospectionClient,
    private readonly metrics: MetricsService,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TRACING) private readonly tracing: Tracing,
  ) {}

  /**
   * Verifies the request's tokens per the profile; throws a rejection carrying the realm.
   * Every call on a known profile counts one `sts_verification_outcomes_total` (`OK` or the error
   * code); an unknown profile is a 404 and not counted, so callers cannot mint label values.
   * With tracing on, the verification is an `sts.verify` span.
   */
  verify(profileName: string, request: TokenRequest): Promise<VerificationResult> {
    if (!this.tracing.enabled) return this.verifyCounted(profileName, request);
    return this.tracing.inSpan('sts.verify', 'internal', { 'sts.profile': profileName }, () =>
      this.verifyCounted(profileName, request),
    );
  }

  private async verifyCounted(
    profileName: string,
    request: TokenRequest,
  ): Promise<VerificationResult> {
    const compiled = this.policies.get(profileName);
    const started = this.clock.now();
    try {
      const result = await this.run(compiled, request);
      this.instrument(compiled, started, 'verified');
      this.metrics.verificationOutcome(compiled.profile.name, 'OK');
      return result;
    } catch (err) {
      if (!isRejection(err)) {
        this.metrics.verificationOutcome(
          compiled.profile.name,
          err instanceof StsError ? err.code : 'ERR_INTERNAL',
        );
        throw err;
      }
      this.instrument(compiled, started, err.code);
      this.metrics.verificationOutcome(compiled.profile.name, err.code);
      throw err.with({ realm: this.realm(compiled, request) });
    }
  }

  private async run(compiled: CompiledProfile, request: TokenRequest): Promise<VerificationResult> {
    const access = await this.verifyAccess(compiled.access, request);
    const channel = await this.verifySlot(compiled.channel, request);
    const consumer = access.credential
      ? resolved(access.credential.consumer, {
          credential: access.credential.key,
          anonymous: false,
        })
      : access.anonymous
        ? resolved(access.anonymous, { anonymous: true })
        : this.mapConsumer([
            [access.introspection, compiled.access.introspectionConsumer],
            [access.verified?.claims, compiled.access.consumer],
            [channel.introspection, compiled.channel.introspectionConsumer],
            [channel.verified?.claims, compiled.channel.consumer],
          ]);
    return {
      profile: compiled.profile,
      ...(access.verified ? { access_token: access.verified } : {}),
      ...(channel.verified ? { channel_token: channel.verified } : {}),
      ...(consumer ? { consumer } : {}),
    };
  }

  /** Kong JWT's `anonymous`: any authentication failure falls back to that consumer. */
  private async verifyAccess(policy: SlotPolicy, request: TokenRequest): Promise<SlotOutcome> {
    const anonymousRef = policy.credentials?.anonymous;
    if (!anonymousRef) return this.verifySlot(policy, request);
    try {
      return await this.verifySlot(policy, request);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      const anonymous = this.consumers.findByReference(anonymousRef);
      if (!anonymous) {
        this.logger.warn(`anonymous consumer "${anonymousRef}" no longer exists`);
        throw err;
      }
      return { anonymous };
    }
  }

  private async verifySlot(policy: SlotPolicy, request: TokenRequest): Promise<SlotOutcome> {
    const found = extractToken(policy.sources, request, this.config.verification.maxTokenBytes);
    if (!found) {
      if (policy.optional) return {};
      throw Rejections.missing(policy.label);
    }
    const { token, source } = found;
    if (token.split('.').length === 5)
      throw Rejections.invalid('encrypted tokens (JWE) are not accepted');
    const now = epochSeconds(this.clock);
    const signed = await this.verifySignature(policy, token);
    if (signed) {
      const { header, claims, credential } = signed;
      if (policy.credentials)
        checkRegisteredClaims(claims, policy.credentials, now, policy.claims.leeway);
      checkClaims(claims, policy.claims, now);
      return {
        verified: this.jwt(token, source, header, claims, policy),
        ...(credential ? { credential } : {}),
      };
    }
    const jws = looksLikeJws(token);
    if (jws) checkStrictJws(token);
    if (!policy.introspection) {
      throw Rejections.invalid(
        jws ? 'this profile cannot verify JWTs' : 'opaque tokens are not accepted by this profile',
      );
    }
    return this.introspect(policy, token, source, jws, now);
  }

  /**
   * The header and claims of a JWS whose signature holds — by a Kong JWT credential, by the IdP
   * key set, or not checked at all where the profile says so — remembered for the next time the
   * same token comes; undefined for what is not a JWS this profile verifies itself (opaque tokens
   * and JWTs go to introspection then).
   */
  private async verifySignature(
    policy: SlotPolicy,
    token: string,
  ): Promise<CachedSignature | undefined> {
    const keys = policy.verifySignature ? policy.jwks : null;
    if (policy.credentials || keys) {
      const cached = this.verifiedTokens.get(policy, token);
      if (cached) return cached;
    }
    if (policy.credentials) {
      const { header, claims, credential } = await verifyWithCredential(
        token,
        policy.credentials,
        this.consumers,
      );
      const signed = { ...frozen({ header, claims }), credential };
      const current = () => this.consumers.credential(credential.key);
      this.verifiedTokens.remember(
        policy,
        token,
        signed,
        { kind: 'credential', credential, current },
        expiryOf(claims, policy.claims.expiry),
      );
      return signed;
    }
    if (!looksLikeJws(token)) return undefined;
    if (!policy.verifySignature) {
      checkStrictJws(token);
      return decodeJws(token);
    }
    if (!keys) return undefined;
    checkStrictJws(token);
    const generation = keys.generation;
    const { header, claims } = await keys.verify(token, policy.algorithms);
    const signed = frozen({ header, claims });
    // Tied to the set as it was when the check began: one that changed meanwhile leaves the
    // entry to the kid rule.
    this.verifiedTokens.remember(
      policy,
      token,
      signed,
      { kind: 'jwks', keys, kid: header.kid, generation },
      expiryOf(claims, policy.claims.expiry),
    );
    return signed;
  }

  private async introspect(
    policy: SlotPolicy,
    token: string,
    source: string,
    jws: boolean,
    now: number,
  ): Promise<SlotOutcome> {
    const target = policy.introspection!;
    const answer = await this.introspection.introspect(target, token);
    checkClaims(answer, policy.introspectionClaims, now);
    let payload: Claims;
    if (policy.introspectionJwtClaim) {
      const inner = readClaim(answer, policy.introspectionJwtClaim);
      const label = pathLabel(policy.introspectionJwtClaim);
      if (typeof inner !== 'string')
        throw Rejections.invalid(`the introspection result has no JWT at '${label}'`);
      try {
        payload = decodeJwt(inner);
      } catch {
        throw Rejections.invalid(`the introspection result's '${label}' is not a JWT`);
      }
    } else {
      payload = { ...answer };
      delete payload.active;
    }
    // Trusted results (the default) skip the token-level checks, as Kong.
    if (!policy.trustIntrospection) checkClaims(payload, policy.claims, now);
    const expiresAt =
      expiryOf(answer, target.expiryClaim) ?? expiryOf(payload, policy.claims.expiry);
    return {
      introspection: answer,
      verified: {
        kind: jws ? 'jwt' : 'opaque',
        token,
        source,
        ...(jws ? { header: decodeJws(token).header } : {}),
        claims: payload,
        introspected: true,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      },
    };
  }

  private jwt(
    token: string,
    source: string,
    header: VerifiedToken['header'],
    claims: Claims,
    policy: SlotPolicy,
  ): VerifiedToken {
    const expiresAt = expiryOf(claims, policy.claims.expiry);
    return {
      kind: 'jwt',
      token,
      source,
      header,
      claims,
      introspected: false,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  }

  /**
   * One mapping per request, the first configured of: access introspection, access payload,
   * channel introspection, channel payload. A configured mapping that finds nobody is a 403.
   */
  private mapConsumer(
    candidates: [Claims | undefined, ConsumerMapping | null][],
  ): ResolvedConsumer | undefined {
    const applicable = candidates.find(([claims, mapping]) => claims && mapping);
    if (!applicable) return undefined;
    const [claims, mapping] = applicable as [Claims, ConsumerMapping];
    const label = pathLabel(mapping.claim);
    const value = readClaim(claims, mapping.claim);
    if (typeof value !== 'string' && typeof value !== 'number')
      throw Rejections.consumerNotFound(`token has no '${label}' claim to find the consumer by`);
    for (const field of mapping.by) {
      const consumer = this.consumers.find(field, String(value));
      if (consumer) return resolved(consumer, { anonymous: false });
    }
    throw Rejections.consumerNotFound(`no consumer matches the '${label}' claim`);
  }

  /** `realm` of the profile, else the request's host (Kong's default). */
  private realm(compiled: CompiledProfile, request: TokenRequest): string {
    if (compiled.profile.realm !== null) return compiled.profile.realm;
    const host = request.headers.host;
    const first = Array.isArray(host) ? host[0] : host;
    return first?.replace(/:\d+$/, '') || compiled.profile.name;
  }

  /** Kong's `enable_instrumentation`: one line per request, never a token. */
  private instrument(compiled: CompiledProfile, started: number, outcome: string): void {
    if (!compiled.profile.enable_instrumentation) return;
    this.logger.log(
      `profile=${compiled.profile.name} outcome=${outcome} ms=${this.clock.now() - started}`,
    );
  }
}
