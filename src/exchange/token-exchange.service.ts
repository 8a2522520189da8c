import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, epochSeconds, type Clock } from '../common/clock';
import { StsError } from '../common/errors';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { Client } from '../clients/client.service';
import { slotSigning } from '../signing/profile-signing';
import { ResigningService } from '../signing/resigning.service';
import { readClaim } from '../verification/claim-checks';
import { isRefusal } from '../verification/rejections';
import { DEFAULT_SCOPES_CLAIM, grantedScopes } from '../verification/scopes';
import { VerificationService } from '../verification/verification.service';
import type { Profile } from '../config/profile-parameters';
import type { VerifiedToken } from '../verification/types';
import {
  ACCEPTED_SUBJECT_TYPES,
  ISSUABLE_TYPES,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_TYPES,
} from './token-types';

/** Upper bound on issued token lifetime; never beyond the subject token's own `exp`. */
export const ISSUED_TOKEN_TTL_SECONDS = 3600;

export interface TokenExchangeResponse {
  access_token: string;
  issued_token_type: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

type Form = Record<string, unknown>;

const single = (form: Form, name: string): string | undefined => {
  const value = form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new StsError('ERR_INVALID_REQUEST', `${name} must appear once`);
  return value;
};
const many = (form: Form, name: string): string[] => {
  const value = form[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
};

/**
 * RFC 8693 token exchange for authenticated clients: the subject token is verified by the
 * client's profile; audience, resource and scope can only narrow what the client and the subject
 * allow; an actor token becomes the `act` claim. Issues an RFC 9068 `at+jwt`.
 */
@Injectable()
export class TokenExchangeService {
  constructor(
    private readonly verification: VerificationService,
    private readonly resigning: ResigningService,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async exchange(client: Client, form: Form): Promise<TokenExchangeResponse> {
    const grantType = single(form, 'grant_type');
    if (grantType === undefined)
      throw new StsError('ERR_INVALID_REQUEST', 'grant_type is required');
    if (grantType !== TOKEN_EXCHANGE_GRANT) {
      throw new StsError('ERR_UNSUPPORTED_GRANT_TYPE', `only ${TOKEN_EXCHANGE_GRANT} is supported`);
    }
    const subjectToken = single(form, 'subject_token');
    const subjectType = single(form, 'subject_token_type');
    if (!subjectToken || !subjectType)
      throw new StsError(
        'ERR_INVALID_REQUEST',
        'subject_token and subject_token_type are required',
      );
    if (!ACCEPTED_SUBJECT_TYPES.includes(subjectType)) {
      throw new StsError(
        'ERR_INVALID_REQUEST',
        `subject_token_type must be one of ${ACCEPTED_SUBJECT_TYPES.join(', ')}`,
      );
    }
    const requestedType = single(form, 'requested_token_type') ?? TOKEN_TYPES.access_token;
    if (!ISSUABLE_TYPES.includes(requestedType)) {
      throw new StsError(
        'ERR_INVALID_REQUEST',
        `requested_token_type must be one of ${ISSUABLE_TYPES.join(', ')}`,
      );
    }
    const actorToken = single(form, 'actor_token');
    const actorType = single(form, 'actor_token_type');
    if (actorToken !== undefined && (!actorType || !ACCEPTED_SUBJECT_TYPES.includes(actorType))) {
      throw new StsError(
        'ERR_INVALID_REQUEST',
        'actor_token_type is required with actor_token and must be a supported type',
      );
    }
    if (actorToken === undefined && actorType !== undefined) {
      throw new StsError('ERR_INVALID_REQUEST', 'actor_token_type without actor_token');
    }

    const audience = this.audienceFor(client, [
      ...many(form, 'audience'),
      ...many(form, 'resource'),
    ]);
    const { verified: subject, profile } = await this.verifyToken(
      client,
      subjectToken,
      'subject_token',
    );
    const scope = this.scopeFor(client, profile, subject, single(form, 'scope'));
    const act = actorToken ? await this.actClaim(client, subject, actorToken) : undefined;

    const now = epochSeconds(this.clock);
    const subjectExp = typeof subject.claims.exp === 'number' ? subject.claims.exp : Infinity;
    const exp = Math.min(now + ISSUED_TOKEN_TTL_SECONDS, subjectExp);
    const claims: Record<string, unknown> = {
      iss: this.config.issuer,
      sub: subject.claims.sub,
      aud: audience.length === 1 ? audience[0] : audience,
      exp,
      iat: now,
      jti: randomUUID(),
      client_id: client.clientId,
      ...(scope ? { scope } : {}),
      ...(act ? { act } : {}),
    };
    const signing = slotSigning(profile, 'access_token');
    const key = await this.resigning.signingKeyFor(
      signing.keyset,
      signing.algorithm,
      signing.keysetAuth,
    );
    const token = await this.resigning.sign(claims, key, { typ: 'at+jwt' });
    return {
      access_token: token,
      issued_token_type: requestedType,
      token_type: 'Bearer',
      expires_in: exp - now,
      ...(scope ? { scope } : {}),
    };
  }

  /** Requested audiences/resources must all be allowed for the client; none requested = all allowed. */
  private audienceFor(client: Client, requested: string[]): string[] {
    if (requested.length === 0)
      return client.audiences.length > 0 ? client.audiences : [client.clientId];
    const refused = requested.filter((a) => !client.audiences.includes(a));
    if (refused.length > 0)
      throw new StsError(
        'ERR_INVALID_TARGET',
        `not allowed for this client: ${refused.join(', ')}`,
      );
    return [...new Set(requested)];
  }

  /**
   * Down-scoping only: never wider than the subject token (its scopes read by the one rule, at the
   * profile's `access_token_scopes_claim`), nor than what the client may request.
   */
  private scopeFor(
    client: Client,
    profile: Profile,
    subject: VerifiedToken,
    requested: string | undefined,
  ): string | undefined {
    const subjectScopes = grantedScopes(
      readClaim(subject.claims, profile.access_token_scopes_claim ?? DEFAULT_SCOPES_CLAIM),
    );
    const allowed = (s: string) =>
      subjectScopes.has(s) && (client.scopes.length === 0 || client.scopes.includes(s));
    if (requested === undefined) {
      const granted = [...subjectScopes].filter(allowed);
      return granted.length > 0 ? granted.join(' ') : undefined;
    }
    const wanted = [...new Set(requested.split(/\s+/).filter(Boolean))];
    const refused = wanted.filter((s) => !allowed(s));
    if (refused.length > 0)
      throw new StsError('ERR_INVALID_SCOPE', `scope wider than allowed: ${refused.join(' ')}`);
    return wanted.length > 0 ? wanted.join(' ') : undefined;
  }

  /**
   * `act` names the actor; an `act` already in the subject token nests inside it (RFC 8693 §4.1).
   * When the subject carries `may_act`, the actor must match it.
   */
  private async actClaim(
    client: Client,
    subject: VerifiedToken,
    actorToken: string,
  ): Promise<Record<string, unknown>> {
    const { verified: actor } = await this.verifyToken(client, actorToken, 'actor_token');
    const act: Record<string, unknown> = { sub: actor.claims.sub };
    if (actor.claims.iss !== undefined) act.iss = actor.claims.iss;
    const mayAct = subject.claims.may_act as Record<string, unknown> | undefined;
    if (mayAct && typeof mayAct === 'object') {
      const permitted = Object.entries(mayAct).every(
        ([name, value]) => name === 'act' || act[name] === value,
      );
      if (!permitted)
        throw new StsError(
          'ERR_INVALID_GRANT',
          "the actor is not permitted by the subject token's may_act claim",
        );
    }
    if (subject.claims.act !== undefined) act.act = subject.claims.act;
    return act;
  }

  private async verifyToken(
    client: Client,
    token: string,
    parameter: string,
  ): Promise<{ verified: VerifiedToken; profile: Profile }> {
    try {
      const result = await this.verification.verify(client.profile, {
        headers: {},
        rawHeaders: [],
        body: { access_token: token },
      });
      if (!result.access_token)
        throw new StsError('ERR_INVALID_REQUEST', `${parameter} was not accepted`);
      return { verified: result.access_token, profile: result.profile };
    } catch (err) {
      if (err instanceof StsError && err.code === 'ERR_NOT_FOUND') {
        throw new StsError(
          'ERR_UNAUTHORIZED_CLIENT',
          'the client is not configured for token exchange (unknown profile)',
        );
      }
      // RFC 8693 §2.2.2: an invalid or unacceptable subject/actor token is invalid_request.
      if (isRefusal(err)) {
        throw new StsError('ERR_INVALID_REQUEST', `${parameter} is invalid: ${err.description}`);
      }
      throw err;
    }
  }
}
