import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Errors, StsError } from '../common/errors';
import { OutboundHttp, OutboundHttpError } from '../common/outbound-http';
import { STS_CONFIG, signerProblems, type StsConfig } from '../config/config';
import { STORE_SYNC_MS, StoreSync } from '../database/store-sync';
import type { SignerConfig } from '../config/file.schema';
import { jwkSourceName, jwkUrlOf, keysToSign } from '../config/signer-options';
import type { SigningAlgorithm } from '../config/algorithms';
import { ExternalKeysets } from '../keys/external-keysets';
import { DEFAULT_KEYSET, KeyRegistry } from '../keys/key-registry';
import { KeysetService } from '../keys/keyset.service';
import { AuditLog } from '../logging/audit-log';
import { MetricsService } from '../metrics/metrics.service';
import { marshalLikeGo } from './go-json';
import { JwsSigner } from './jws-signer.service';
import { canonicalSigner, SignerStore, signerOptionsText } from './signer.store';

/** KrakenD loads a signer's JWK set once; we refresh it (URL or file) on this period. */
const JWK_URL_REFRESH_SECONDS = 900;

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface HeldSigner {
  config: SignerConfig;
  /** The stored text of its options, to notice changes made elsewhere. */
  text: string;
  keyset: string;
  select: { kid?: string; alg?: SigningAlgorithm };
  /** Why a stored signer cannot sign right now (its jwk_url could not be loaded, …). */
  unavailable?: string;
}

const externalKeysetName = (signer: string): string => `signer:${signer}`;

/** The keyset a signer signs with: its own JWK set (URL or file), the one it names, or `default`. */
const keysetOf = (signer: SignerConfig): string =>
  jwkSourceName(signer) ? externalKeysetName(signer.name) : (signer.keyset ?? DEFAULT_KEYSET);

/** KrakenD's `jwk_local_ca`, read when the signer is resolved (as KrakenD reads it at start). */
function extraCaOf(signer: SignerConfig): string | undefined {
  if (signer.jwk_local_ca === undefined) return undefined;
  try {
    return readFileSync(signer.jwk_local_ca, 'utf8');
  } catch (err) {
    throw new Error(`jwk_local_ca: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * KrakenD's JWT signer (krakend-jose `signer`): each top-level key listed in `keys_to_sign` whose
 * value is an object is replaced by a JWS of that object; every other key passes through.
 *
 * Signers live in the database (the file's are written there at boot, create-or-update by name;
 * those it wrote and no longer declares are removed) and are held here resolved; `put`/`remove`
 * (the admin API) apply to the next request, and `sync` picks up changes made by other instances.
 */
@Injectable()
export class KrakendSignerService implements OnModuleInit {
  private readonly logger = new Logger(KrakendSignerService.name);
  private readonly signers = new Map<string, HeldSigner>();

  constructor(
    private readonly keysets: KeysetService,
    private readonly registry: KeyRegistry,
    private readonly external: ExternalKeysets,
    private readonly http: OutboundHttp,
    private readonly jws: JwsSigner,
    private readonly store: SignerStore,
    private readonly storeSync: StoreSync,
    private readonly metrics: MetricsService,
    private readonly audit: AuditLog,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // A file signer that cannot be resolved stops start-up, as before any request is served.
    for (const signer of this.config.file.signers) {
      this.signers.set(signer.name, await this.resolve(signer));
      await this.store.save(signer, 'file');
    }
    const declared = new Set(this.config.file.signers.map((signer) => signer.name));
    await this.audit.removeUndeclared(
      'signer',
      (await this.store.fileManaged())
        .filter((name) => !declared.has(name))
        .map((name) => ({ name, remove: () => this.store.delete(name) })),
    );
    await this.sync();
    this.storeSync.register('signer', () => this.sync());
    this.keysets.addReferenceCheck((keyset) =>
      [...this.signers.values()]
        .filter((held) => held.keyset === keyset)
        .map((held) => `signer "${held.config.name}"`),
    );
  }

  /** Every signer, by name, as configured. */
  list(): SignerConfig[] {
    return [...this.signers.values()]
      .map((held) => held.config)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): SignerConfig {
    const held = this.signers.get(name);
    if (!held) throw Errors.notFound(`signer "${name}"`);
    return held.config;
  }

  /** Why a stored signer cannot sign right now, if it cannot. */
  unavailableReason(name: string): string | undefined {
    return this.signers.get(name)?.unavailable;
  }

  /**
   * Creates or replaces a signer after checking it can sign (its keyset exists or is created,
   * its JWK set loads and holds the key it names). True when it was created.
   */
  async put(signer: SignerConfig): Promise<boolean> {
    const problems = signerProblems(signer, 'signer');
    if (problems.length > 0)
      throw Errors.invalidRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    let held: HeldSigner;
    try {
      held = await this.resolve(signer);
    } catch (err) {
      throw Errors.invalidRequest(`signer "${signer.name}" cannot sign: ${(err as Error).message}`);
    }
    const created = await this.store.save(signer, 'api');
    this.hold(held);
    return created;
  }

  async remove(name: string): Promise<void> {
    this.get(name);
    await this.store.delete(name);
    this.forget(name);
  }

  /** Reloads signers whose stored options changed (another instance), drops deleted ones. */
  async sync(): Promise<void> {
    const stored = await this.store.all();
    const names = new Set(stored.map((s) => s.signer.name));
    for (const { signer, text } of stored) {
      const held = this.signers.get(signer.name);
      if (held && held.text === text && !held.unavailable) continue;
      try {
        this.hold(await this.resolve(signer));
      } catch (err) {
        const reason = (err as Error).message;
        if (held?.unavailable !== reason)
          this.logger.error(`signer "${signer.name}" cannot sign: ${reason}`);
        this.hold({
          config: canonicalSigner(signer),
          text,
          keyset: keysetOf(signer),
          select: {},
          unavailable: reason,
        });
      }
    }
    for (const name of [...this.signers.keys()]) if (!names.has(name)) this.forget(name);
  }

  async sign(signerName: string, body: unknown): Promise<JsonObject> {
    const signer = this.signers.get(signerName);
    if (!signer) throw Errors.notFound(`signer "${signerName}"`);
    if (signer.unavailable !== undefined) {
      this.metrics.signingFailure('key_unavailable');
      throw new StsError('ERR_SIGNER_UNAVAILABLE', `signer "${signerName}" cannot sign right now`, {
        retryAfterSeconds: STORE_SYNC_MS / 1000,
      });
    }
    if (!isJsonObject(body)) throw Errors.invalidRequest('request body must be a JSON object');
    const claims = signer.config.backend
      ? await this.callBackend(signer.config.backend, body)
      : body;

    const key = this.registry.signingKey(signer.keyset, signer.select);
    const extras = { typ: signer.config.typ };
    const sign = signer.config.full
      ? (payload: JsonObject) => this.jws.flattened(marshalLikeGo(payload), key, extras)
      : (payload: JsonObject) => this.jws.compact(marshalLikeGo(payload), key, extras);
    const out: JsonObject = { ...claims };
    const listedIn = signer.config.keys_to_sign ? 'keys_to_sign' : 'keys-to-sign';
    for (const name of keysToSign(signer.config)) {
      const value = claims[name];
      if (value === undefined) continue;
      if (!isJsonObject(value)) {
        const problem = `"${name}" is listed in ${listedIn} but is ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : `a ${typeof value}`}, not a JSON object`;
        throw signer.config.backend
          ? Errors.badGateway(`backend answer: ${problem}`)
          : Errors.invalidRequest(problem);
      }
      out[name] = await sign(value);
    }
    return out;
  }

  private async resolve(signer: SignerConfig): Promise<HeldSigner> {
    if (signer.backend) this.http.assertAllowed(signer.backend);
    const config = canonicalSigner(signer);
    const text = signerOptionsText(signer);
    const keyset = keysetOf(signer);
    const jwkUrl =
      signer.jwk_local_path !== undefined
        ? pathToFileURL(signer.jwk_local_path).href
        : jwkUrlOf(signer);
    if (jwkUrl) {
      await this.external.register(
        keyset,
        {
          url: jwkUrl,
          algorithm: signer.alg,
          allowHttp: signer.disable_jwk_security,
          pinnedFingerprints: signer.jwk_fingerprints,
          extraCa: extraCaOf(signer),
        },
        JWK_URL_REFRESH_SECONDS,
        // Fail now, not on the first request, when kid/alg select nothing.
        { listed: false, require: { kid: signer.kid, alg: signer.alg } },
      );
      return { config, text, keyset, select: { kid: signer.kid, alg: signer.alg } };
    }
    // A named keyset is created on first use, as Kong does with its keyset names (a retired one
    // signs again).
    if (!this.registry.canSign(keyset))
      await this.keysets.ensureKeyset({
        name: keyset,
        algorithm: signer.alg ?? this.registry.algorithmOf(keyset) ?? 'RS256',
      });
    // A stored keyset's algorithm, not its current key: one whose key is being replaced (its
    // record damaged) still has a signer.
    const alg = this.registry.algorithmOf(keyset) ?? this.registry.signingKey(keyset).alg;
    if (signer.alg && signer.alg !== alg) {
      throw new Error(
        `signer "${signer.name}": alg ${signer.alg} does not match keyset "${keyset}" (${alg})`,
      );
    }
    return { config, text, keyset, select: {} };
  }

  private hold(held: HeldSigner): void {
    const name = held.config.name;
    this.signers.set(name, held);
    // A signer that no longer signs with its own JWK set releases it.
    if (held.keyset !== externalKeysetName(name))
      this.external.unregister(externalKeysetName(name));
  }

  private forget(name: string): void {
    this.signers.delete(name);
    this.external.unregister(externalKeysetName(name));
  }

  /** KrakenD's endpoint wrapper: the request goes to the token-issuing backend, its answer is signed. */
  private async callBackend(url: string, body: JsonObject): Promise<JsonObject> {
    let answer: unknown;
    try {
      answer = await this.http.fetchJson({
        url,
        spanName: 'sts.signer.backend',
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
}
