import { Inject, Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { CLOCK, type Clock } from '../common/clock';
import { SIGNING_ALGORITHMS } from '../config/algorithms';
import { KeyRegistry } from '../keys/key-registry';

/** Same bound as incoming tokens: anything larger is not one of ours. */
const MAX_TOKEN_BYTES = 8192;

export type IntrospectionResponse =
  { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * RFC 7662 for tokens this service issued: active only when signed by a key we still hold and
 * not expired. Everything else — foreign, expired, tampered, signed by a dropped key — is
 * `{active: false}` and nothing more.
 */
@Injectable()
export class TokenIntrospectionService {
  constructor(
    private readonly keysets: KeyRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async introspect(token: string): Promise<IntrospectionResponse> {
    if (token.length === 0 || token.length > MAX_TOKEN_BYTES) return { active: false };
    try {
      const { payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters) => {
          const key = header.kid
            ? await this.keysets.verificationKey(header.kid, header.alg)
            : undefined;
          if (!key) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: [...SIGNING_ALGORITHMS],
          currentDate: new Date(this.clock.now()),
          requiredClaims: ['exp'],
        },
      );
      return { ...payload, active: true };
    } catch {
      return { active: false };
    }
  }
}
