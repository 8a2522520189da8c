import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { sendJson, startLocalServer, type LocalServer } from './helpers';

export interface TestIdp {
  url: string;
  jwksUri: string;
  introspectionUri: string;
  server: LocalServer;
  /** A JWT signed by the IdP's own key (never one of the STS keys). */
  sign: (claims: JWTPayload, options?: { kid?: string; typ?: string }) => Promise<string>;
  /** An opaque token whose introspection answers `result` (without `active`: it is added). */
  opaque: (result: Record<string, unknown>) => string;
  close: () => Promise<void>;
}

/** A local identity provider: JWKS at /jwks, RFC 7662 introspection at /introspect. */
export async function startIdp(
  alg: 'RS256' | 'ES256' = 'ES256',
  issuer = 'https://idp.example.com',
): Promise<TestIdp> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const opaqueTokens = new Map<string, Record<string, unknown>>();
  const server = await startLocalServer((req, res, body) => {
    if (req.url === '/jwks') return sendJson(res, 200, { keys: [jwk] });
    if (req.url === '/introspect' && req.method === 'POST') {
      const token = new URLSearchParams(body).get('token') ?? '';
      const result = opaqueTokens.get(token);
      return sendJson(res, 200, result ? { active: true, ...result } : { active: false });
    }
    sendJson(res, 404, {});
  });
  return {
    url: server.url,
    jwksUri: `${server.url}/jwks`,
    introspectionUri: `${server.url}/introspect`,
    server,
    sign: (claims, options = {}) =>
      new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg, kid: options.kid ?? kid, typ: options.typ ?? 'JWT' })
        .sign(privateKey),
    opaque: (result) => {
      const token = `opaque-${randomUUID()}`;
      opaqueTokens.set(token, result);
      return token;
    },
    close: () => server.close(),
  };
}
