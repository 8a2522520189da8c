import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sendJson, startLocalServer, startSts, type LocalServer, type TestSts } from '../helpers';
import { TestIdp } from '../idp';
import { fuzz } from './fuzz';

/**
 * Properties of the token endpoints: random bytes and mutated valid tokens never give a 5xx and
 * never an accepted token, on /verify, /exchange/{profile} and /authz, for every kind of profile
 * (IdP JWKS, Kong JWT credentials, introspection).
 */
const ISSUER = 'https://idp.example.com';
const SECRET = 'alice-secret-of-at-least-32-bytes';
const OPAQUE = 'opaque-token-the-idp-knows';
const ENDPOINTS = ['verify', 'exchange', 'authz'] as const;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** What a mutation may write: base64url, the separators, and what lenient decoders skip. */
const MUTATION_CHARS = [...BASE64URL, '.', '=', '+', '/', ' ', ',', '%'];

const b64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/** A JOSE-looking header: plausible members with plausible and hostile values. */
const header = fc.dictionary(
  fc.constantFrom('alg', 'kid', 'typ', 'crit', 'b64', 'jku', 'jwk', 'x5c', 'cty', 'enc', 'zip'),
  fc.oneof(
    fc.constantFrom('none', 'RS256', 'HS256', 'ES256', 'EdDSA', 'PS512', 'rs', 'at+jwt', 'JWT'),
    fc.constantFrom(false, true, null, 0, -1, 1e308, ['b64'], [], {}),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

/** Anything a client could send as a token. */
const randomToken = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'x')),
  fc
    .tuple(
      fc.oneof(
        header.map((h) => JSON.stringify(h)),
        fc.string(),
      ),
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.string(),
      ),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${b64url(s)}`),
  fc
    .array(fc.base64String({ maxLength: 40 }), { minLength: 1, maxLength: 7 })
    .map((parts) => parts.join('.')),
);

type Mutation =
  | { kind: 'replace' | 'insert'; at: number; char: string }
  | { kind: 'delete' | 'truncate'; at: number }
  /** The last character of a segment, where base64url has bits the bytes do not use. */
  | { kind: 'tail'; part: number; char: string }
  | { kind: 'graft'; part: number; donor: number }
  | { kind: 'reorder'; order: number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace' as const, 'insert' as const),
    at: fc.nat(),
    char: fc.constantFrom(...MUTATION_CHARS),
  }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('tail' as const),
    part: fc.nat(2),
    char: fc.constantFrom(...MUTATION_CHARS),
  }),
  fc.record({ kind: fc.constant('graft' as const), part: fc.nat(2), donor: fc.nat(10) }),
  fc.record({
    kind: fc.constant('reorder' as const),
    order: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
  }),
);

/** Applies mutations to a token; `donors` lend segments (a header of one, a payload of another). */
function mutate(token: string, mutations: readonly Mutation[], donors: readonly string[]): string {
  let out = token;
  for (const m of mutations) {
    const parts = out.split('.');
    switch (m.kind) {
      case 'replace':
      case 'insert': {
        const at = m.at % (out.length + 1);
        out = out.slice(0, at) + m.char + out.slice(at + (m.kind === 'replace' ? 1 : 0));
        break;
      }
      case 'delete':
      case 'truncate': {
        const at = m.at % (out.length + 1);
        out = out.slice(0, at) + (m.kind === 'delete' ? out.slice(at + 1) : '');
        break;
      }
      case 'tail':
        parts[m.part] = (parts[m.part] ?? '').slice(0, -1) + m.char;
        out = parts.join('.');
        break;
      case 'graft':
        parts[m.part] = donors[m.donor % donors.length]!.split('.')[m.part] ?? '';
        out = parts.join('.');
        break;
      case 'reorder':
        out = m.order.map((i) => parts[i] ?? '').join('.');
        break;
    }
  }
  return out;
}

describe('token endpoints under random and mutated tokens (fast-check)', () => {
  let sts: TestSts;
  let idp: TestIdp;
  let introspection: LocalServer;
  /** Valid tokens, by the profile that accepts them. */
  const valid: { profile: string; token: string }[] = [];

  before(async () => {
    idp = await TestIdp.start();
    for (const [kid, alg] of [
      ['rs', 'RS256'],
      ['es', 'ES256'],
      ['ed', 'EdDSA'],
    ])
      await idp.addKey(kid!, alg);
    introspection = await startLocalServer((_req, res, body) =>
      sendJson(
        res,
        200,
        new URLSearchParams(body).get('token') === OPAQUE
          ? { active: true, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 }
          : { active: false },
      ),
    );
    const optional = { channel_token_optional: true };
    sts = await startSts({
      file: {
        consumers: [
          {
            username: 'alice',
            jwt_secrets: [{ key: 'alice-hs', algorithm: 'HS256', secret: SECRET }],
          },
        ],
        profiles: [
          { name: 'api', access_token_jwks_uri: idp.jwksUri, ...optional },
          { name: 'kong', credentials: { claims_to_verify: ['exp'] }, ...optional },
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${introspection.url}/introspect`,
            ...optional,
          },
        ],
      },
    });
    const claims = { iss: ISSUER, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 };
    for (const kid of ['rs', 'es', 'ed'])
      valid.push({ profile: 'api', token: await idp.sign(claims, kid) });
    const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ ...claims, iss: 'alice-hs' }))}`;
    valid.push({
      profile: 'kong',
      token: `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`,
    });
    valid.push({ profile: 'opaque', token: OPAQUE });
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([idp.close(), introspection.close()]);
  });

  const send = (endpoint: (typeof ENDPOINTS)[number], profile: string, token: string) =>
    sts.inject({
      method: 'POST',
      url: `/${endpoint}/${profile}`,
      headers: { authorization: `Bearer ${token}` },
    });

  it('the valid tokens themselves pass (the properties start from accepted tokens)', async () => {
    for (const { profile, token } of valid)
      for (const endpoint of ENDPOINTS)
        assert.equal(
          (await send(endpoint, profile, token)).statusCode,
          200,
          `${endpoint} ${profile}`,
        );
  });

  it('random tokens: 401 on every endpoint and profile, never a 5xx', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        randomToken,
        fc.constantFrom('api', 'kong', 'opaque'),
        async (token, profile) => {
          for (const endpoint of ENDPOINTS) {
            const res = await send(endpoint, profile, token);
            assert.equal(res.statusCode, 401, `${endpoint} ${res.statusCode} ${res.body}`);
          }
        },
      ),
      fuzz(t, 200),
    );
  });

  it('any string in the JSON body: 400 or 401, never a 5xx', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), randomToken),
        fc.constantFrom('api', 'kong', 'opaque'),
        async (token, profile) => {
          for (const endpoint of ['verify', 'exchange']) {
            const res = await sts.inject({
              method: 'POST',
              url: `/${endpoint}/${profile}`,
              headers: { 'content-type': 'application/json' },
              payload: JSON.stringify({ access_token: token }),
            });
            assert.ok(
              [400, 401].includes(res.statusCode),
              `${endpoint} ${res.statusCode} ${res.body}`,
            );
          }
        },
      ),
      fuzz(t, 150),
    );
  });

  it('mutated valid tokens are never accepted, never a 5xx', async (t) => {
    const donors = valid.map(({ token }) => token);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(valid.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (which, mutations) => {
          const { profile, token } = valid[which]!;
          const mutated = mutate(token, mutations, donors);
          // A separator or whitespace added around the token leaves the token itself, and grafts
          // of a whole valid token's segments may give that token back.
          const tokens = mutated.split(',').map((part) => part.trim());
          fc.pre(!tokens.filter(Boolean).every((part) => donors.includes(part)));
          for (const endpoint of ENDPOINTS) {
            const res = await send(endpoint, profile, mutated);
            assert.equal(
              res.statusCode,
              401,
              `${endpoint} ${res.statusCode} ${res.body} ${mutated}`,
            );
          }
        },
      ),
      fuzz(t, 300),
    );
  });
});
