import { randomUUID } from 'node:crypto';
import {
  CompactSign,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWK,
} from 'jose';
import { sendJson, startLocalServer, type LocalServer } from './helpers';

interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey | Uint8Array;
  publicJwk: JWK;
  publicPem?: string;
}

/**
 * A test identity provider: a real loopback server publishing a JWKS of keys this test owns, and
 * a signer for tokens (well-formed or deliberately broken). `mode` makes it fail or hang.
 */
export class TestIdp {
  private readonly keys = new Map<string, TestKey>();
  private readonly published = new Set<string>();
  mode: 'serve' | 'fail' | 'hang' = 'serve';

  private constructor(readonly server: LocalServer) {}

  static async start(): Promise<TestIdp> {
    const ref: { idp?: TestIdp } = {};
    const server = await startLocalServer((req, res) => {
      const idp = ref.idp;
      if (!idp || idp.mode === 'hang') return; // never answers
      if (idp.mode === 'fail') return sendJson(res, 503, { error: 'down' });
      if (req.url !== '/jwks.json') return sendJson(res, 404, {});
      sendJson(res, 200, {
        keys: [...idp.published].map((kid) => idp.keys.get(kid)!.publicJwk),
      });
    });
    ref.idp = new TestIdp(server);
    return ref.idp;
  }

  get jwksUri(): string {
    return `${this.server.url}/jwks.json`;
  }

  /** Requests the STS made for the JWKS. */
  get fetches(): number {
    return this.server.requests.filter((r) => r.url === '/jwks.json').length;
  }

  async addKey(kid: string, alg = 'RS256', publish = true): Promise<TestKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, {
      extractable: true,
      crv: alg === 'EdDSA' ? 'Ed25519' : undefined,
    });
    const key: TestKey = {
      kid,
      alg,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
      publicPem: await exportSPKI(publicKey),
    };
    this.keys.set(kid, key);
    if (publish) this.published.add(kid);
    return key;
  }

  /** An HMAC key published as an `oct` JWK (what `enable_hs_signatures` accepts). */
  addSecret(kid: string, secret: Uint8Array, alg = 'HS256'): void {
    this.keys.set(kid, {
      kid,
      alg,
      privateKey: secret,
      publicJwk: { kty: 'oct', kid, alg, k: Buffer.from(secret).toString('base64url') },
    });
    this.published.add(kid);
  }

  publish(kid: string): void {
    this.published.add(kid);
  }

  withdraw(kid: string): void {
    this.published.delete(kid);
  }

  key(kid: string): TestKey {
    return this.keys.get(kid)!;
  }

  /** A compact JWS over `claims`, signed with the key `kid`; `header` adds or overrides members. */
  async sign(
    claims: Record<string, unknown>,
    kid: string,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const key = this.keys.get(kid)!;
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT', ...header })
      .sign(key.privateKey);
  }

  /**
   * RS256 over an arbitrary header, bypassing jose's own checks (which refuse to produce, say, an
   * unknown `crit`): for tokens a careless or hostile issuer could send.
   */
  async signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, kid: string) {
    const key = this.keys.get(kid)!;
    const input = unsignedToken({ alg: 'RS256', kid, ...header }, claims).slice(0, -1);
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      key.privateKey as CryptoKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/** A compact token with an arbitrary header and no signature check at all (`alg: none` etc.). */
export function unsignedToken(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature = '',
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

export interface LocalIdp {
  jwksUri: string;
  introspectionUri: string;
  /** A JWT signed by the IdP's own key (never one of the STS keys), `iss` set to the IdP. */
  sign: (claims: Record<string, unknown>) => Promise<string>;
  /** An opaque token whose RFC 7662 introspection answers `active: true` plus `result`. */
  opaque: (result: Record<string, unknown>) => string;
  close: () => Promise<void>;
}

/**
 * One identity provider as the exchange tests need it: a TestIdp with one published key, plus an
 * introspection endpoint that knows the opaque tokens handed out by `opaque()`.
 */
export async function startIdp(
  alg: 'RS256' | 'ES256' = 'ES256',
  issuer = 'https://idp.example.com',
): Promise<LocalIdp> {
  const idp = await TestIdp.start();
  const kid = randomUUID();
  await idp.addKey(kid, alg);
  const opaqueTokens = new Map<string, Record<string, unknown>>();
  const introspection = await startLocalServer((req, res, body) => {
    const result = opaqueTokens.get(new URLSearchParams(body).get('token') ?? '');
    sendJson(res, 200, result ? { active: true, ...result } : { active: false });
  });
  return {
    jwksUri: idp.jwksUri,
    introspectionUri: `${introspection.url}/introspect`,
    sign: (claims) => idp.sign({ iss: issuer, ...claims }, kid),
    opaque: (result) => {
      const token = `opaque-${randomUUID()}`;
      opaqueTokens.set(token, result);
      return token;
    },
    close: async () => {
      await idp.close();
      await introspection.close();
    },
  };
}
