import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Errors } from '../common/errors';
import { OutboundHttp, OutboundHttpError } from '../common/outbound-http';
import { STS_CONFIG, type StsConfig } from '../config/config';
import type { SignerConfig } from '../config/file.schema';
import type { SigningAlgorithm } from '../keys/algorithms';
import { DEFAULT_KEYSET, KeysetService } from '../keys/keyset.service';
import { JwsSigner } from './jws-signer.service';

/** KrakenD reloads a `jwk-url` set from its cache; we refresh it on this period. */
const JWK_URL_REFRESH_SECONDS = 900;

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface ResolvedSigner {
  config: SignerConfig;
  keyset: string;
  select: { kid?: string; alg?: SigningAlgorithm };
}

const externalKeysetName = (signer: string): string => `signer:${signer}`;

/**
 * KrakenD's JWT signer (krakend-jose `signer`): each top-level key listed in `keys-to-sign` whose
 * value is an object is replaced by a JWS of that object; every other key passes through.
 */
@Injectable()
export class KrakendSignerService implements OnModuleInit {
  private readonly signers = new Map<string, ResolvedSigner>();

  constructor(
    private readonly keysets: KeysetService,
    private readonly http: OutboundHttp,
    private readonly jws: JwsSigner,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const signer of this.config.file.signers) {
      if (signer.backend) this.http.assertAllowed(signer.backend);
      this.signers.set(signer.name, await this.resolve(signer));
    }
  }

  private async resolve(signer: SignerConfig): Promise<ResolvedSigner> {
    const jwkUrl = signer['jwk-url'];
    if (jwkUrl) {
      const keyset = externalKeysetName(signer.name);
      await this.keysets.registerExternal(
        keyset,
        {
          url: jwkUrl,
          algorithm: signer.alg,
          allowHttp: signer.disable_jwk_security,
          pinnedFingerprints: signer.jwk_fingerprints,
        },
        JWK_URL_REFRESH_SECONDS,
      );
      // Fail at start-up, not on the first request, when kid/alg select nothing.
      this.keysets.signingKey(keyset, { kid: signer.kid, alg: signer.alg });
      return { config: signer, keyset, select: { kid: signer.kid, alg: signer.alg } };
    }
    const keyset = signer.keyset ?? DEFAULT_KEYSET;
    // A named keyset is created on first use, as Kong does with its keyset names.
    if (!this.keysets.has(keyset))
      await this.keysets.ensureKeyset({ name: keyset, algorithm: signer.alg ?? 'RS256' });
    const key = this.keysets.signingKey(keyset);
    if (signer.alg && signer.alg !== key.alg) {
      throw new Error(
        `signer "${signer.name}": alg ${signer.alg} does not match keyset "${keyset}" (${key.alg})`,
      );
    }
    return { config: signer, keyset, select: {} };
  }

  async sign(signerName: string, body: unknown): Promise<JsonObject> {
    const signer = this.signers.get(signerName);
    if (!signer) throw Errors.notFound(`signer "${signerName}"`);
    if (!isJsonObject(body)) throw Errors.invalidRequest('request body must be a JSON object');
    const claims = signer.config.backend
      ? await this.callBackend(signer.config.backend, body)
      : body;

    const key = this.keysets.signingKey(signer.keyset, signer.select);
    const sign = signer.config.full
      ? (payload: JsonObject) => this.jws.flattened(payload, key)
      : (payload: JsonObject) => this.jws.compact(payload, key);
    const out: JsonObject = { ...claims };
    for (const name of signer.config['keys-to-sign']) {
      const value = claims[name];
      if (value === undefined) continue;
      if (!isJsonObject(value)) {
        const problem = `"${name}" is listed in keys-to-sign but is ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : `a ${typeof value}`}, not a JSON object`;
        throw signer.config.backend
          ? Errors.badGateway(`backend answer: ${problem}`)
          : Errors.invalidRequest(problem);
      }
      out[name] = await sign(value);
    }
    return out;
  }

  /** KrakenD's endpoint wrapper: the request goes to the token-issuing backend, its answer is signed. */
  private async callBackend(url: string, body: JsonObject): Promise<JsonObject> {
    let answer: unknown;
    try {
      answer = await this.http.fetchJson({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw Errors.badGateway(
        `signer backend ${err instanceof OutboundHttpError ? err.message : 'failed'}`,
        err,
      );
    }
    if (!isJsonObject(answer))
      throw Errors.badGateway('signer backend did not answer a JSON object');
    return answer;
  }

  list(): string[] {
    return [...this.signers.keys()];
  }
}
