import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSignedRsa } from '../certificates';
import { startLocalServer, startSts, type LocalServer, type TestSts } from '../helpers';
import { TestIdp } from '../idp';
import {
  buildToken,
  fill,
  repeated,
  type RecipeContext,
  type RecipeKey,
  type Repeat,
  type TokenRecipe,
} from './attack-recipes';
import { sendRaw, type RawAnswer } from './raw-http';

/**
 * The attack corpus: test/fixtures/attacks/*.json, one file per family of attacks, each case a
 * token recipe (see attack-recipes.ts), the request carrying it, a profile and the documented
 * answer. Every case runs against /verify/{profile}, /exchange/{profile} and /authz/{profile}
 * over a real socket; none may answer 5xx or go unanswered (raw-http.ts bounds each request).
 */
type Endpoint = 'verify' | 'exchange' | 'authz';

interface Expectation {
  status: number;
  code?: string;
  /** A regular expression the `error_description` matches. */
  description?: string;
  /** /authz answers differently than the documented mapping (see authzStatus). */
  authz?: { status: number };
}

interface AttackCase {
  name: string;
  /** Why this is an attack, or why the answer is what it is: the reviewer's line. */
  why: string;
  profile: string;
  token?: TokenRecipe;
  /** More tokens, named for `{name}` in the request. */
  tokens?: Record<string, TokenRecipe>;
  request?: {
    /** Header lines as sent, repeats included; default `Authorization: Bearer {token}`. */
    headers?: [string, string | Repeat][];
    /** Query string (`jwt={token}`). */
    query?: string;
    /** JSON body; /authz never reads one. */
    body?: Record<string, string>;
  };
  endpoints?: Endpoint[];
  expect: Expectation;
}

interface CorpusFile {
  about: string;
  cases: AttackCase[];
}

const CORPUS_DIR = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'attacks');
const corpus = readdirSync(CORPUS_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({
    name,
    ...(JSON.parse(readFileSync(join(CORPUS_DIR, name), 'utf8')) as CorpusFile),
  }));

const ISSUER = 'https://idp.example.com';
const AUDIENCE = 'https://api.example.com';
const HS_SECRET = new Uint8Array(32).fill(9);
const CREDENTIAL_SECRET = 'alice-secret-of-at-least-32-bytes';
/** JSON arrays nested `levels` deep (`{{too_deep}}` still fits STS_MAX_TOKEN_BYTES encoded). */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/**
 * Forward-auth answers 401 for everything that is not a token's own 401/403 (README, /authz), and
 * HTTP-level refusals (431) come before any route.
 */
const authzStatus = (status: number): number =>
  status === 200 || status === 403 || status === 431 ? status : 401;

function assertAnswer(res: RawAnswer, endpoint: Endpoint, expected: Expectation): void {
  const where = `${endpoint}: ${res.status} ${res.body}`;
  assert.ok(res.status < 500, `never a 5xx (${where})`);
  if (endpoint === 'authz') {
    assert.equal(res.status, expected.authz?.status ?? authzStatus(expected.status), where);
    if (res.status !== 431) assert.equal(res.body, '', `${endpoint}: an empty body`);
  } else {
    assert.equal(res.status, expected.status, where);
    if (expected.status !== 200) {
      const body = JSON.parse(res.body) as { code: string; error_description: string };
      if (expected.code) assert.equal(body.code, expected.code, where);
      if (expected.description)
        assert.match(body.error_description, new RegExp(expected.description), where);
    }
  }
  if (res.status === 401 || res.status === 403)
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="[^"]+"/, where);
}

describe('attack corpus (test/fixtures/attacks)', () => {
  let sts: TestSts;
  let idp: TestIdp;
  let attackerServer: LocalServer;
  let base: string;
  const keys = new Map<string, RecipeKey>();
  const context = (): RecipeContext => ({
    now: Math.floor(Date.now() / 1000),
    keys,
    vars: {
      issuer: ISSUER,
      audience: AUDIENCE,
      attacker: attackerServer.url,
      too_deep: nested(2500),
      deepest: nested(63),
    },
  });

  before(async () => {
    idp = await TestIdp.start();
    attackerServer = await startLocalServer((_req, res) => res.end('{"keys":[]}'));
    const held = async (name: string, alg: string, publish: boolean) => {
      const key = await idp.addKey(name, alg, publish);
      keys.set(name, {
        alg,
        privateKey: KeyObject.from(key.privateKey as CryptoKey),
        publicJwk: key.publicJwk,
        publicPem: key.publicPem,
      });
    };
    await held('idp-rs', 'RS256', true);
    await held('idp-es', 'ES256', true);
    await held('idp-ed', 'EdDSA', true);
    await held('attacker-rs', 'RS256', false);
    await held('attacker-es', 'ES256', false);
    idp.addSecret('idp-hs', HS_SECRET);
    keys.set('idp-hs', { alg: 'HS256', privateKey: HS_SECRET });
    // The attacker's own certificate, carried in x5c.
    const certificate = await selfSignedRsa('CN=idp.example.com');
    keys.set('attacker-x5c', {
      alg: 'RS256',
      privateKey: createPrivateKey(certificate.keyPem),
      kid: 'idp-rs',
      header: { x5c: [certificate.der.toString('base64')] },
    });
    // Kong JWT consumer credentials (the `kong` profile): alice's HS256 secret, bob's RS256 key.
    await held('credential-rs', 'RS256', false);
    keys.set('credential-hs', {
      alg: 'HS256',
      privateKey: new TextEncoder().encode(CREDENTIAL_SECRET),
    });
    const bobPem = createPublicKey(keys.get('credential-rs')!.privateKey as KeyObject).export({
      type: 'spki',
      format: 'pem',
    }) as string;

    const family = { channel_token_optional: true };
    sts = await startSts({
      env: { STS_JWKS_TIMEOUT_MS: '2000' },
      file: {
        consumers: [
          {
            username: 'alice',
            jwt_secrets: [{ key: 'alice-hs', algorithm: 'HS256', secret: CREDENTIAL_SECRET }],
          },
          {
            username: 'bob',
            jwt_secrets: [{ key: 'bob-rs', algorithm: 'RS256', rsa_public_key: bobPem }],
          },
        ],
        profiles: [
          {
            name: 'api',
            realm: 'api',
            access_token_jwks_uri: idp.jwksUri,
            access_token_issuers_allowed: [ISSUER],
            access_token_audiences_allowed: [AUDIENCE],
            ...family,
          },
          { name: 'hs', enable_hs_signatures: true, access_token_jwks_uri: idp.jwksUri, ...family },
          {
            name: 'scoped',
            access_token_jwks_uri: idp.jwksUri,
            access_token_scopes_required: ['admin'],
            ...family,
          },
          { name: 'kong', credentials: { claims_to_verify: ['exp'] }, ...family },
        ],
      },
    });
    await sts.app.listen(0, '127.0.0.1');
    base = await sts.app.getUrl();
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([idp.close(), attackerServer.close()]);
  });

  /** The request of a case, for one endpoint, with its tokens built now. */
  async function requestFor(attack: AttackCase, endpoint: Endpoint) {
    const ctx = context();
    const tokens: Record<string, string> = {};
    if (attack.token) tokens.token = await buildToken(attack.token, ctx);
    for (const [name, recipe] of Object.entries(attack.tokens ?? {}))
      tokens[name] = await buildToken(recipe, ctx);
    const put = (text: string) =>
      fill(text, ctx).replace(/\{(\w+)\}/g, (all, name: string) => tokens[name] ?? all);
    const lines = attack.request?.headers ?? [['Authorization', 'Bearer {token}']];
    const headers = lines.map(([name, value]) => [name, put(repeated(value, ctx))] as const);
    const body = attack.request?.body
      ? JSON.stringify(
          Object.fromEntries(Object.entries(attack.request.body).map(([k, v]) => [k, put(v)])),
        )
      : undefined;
    const query = attack.request?.query ? `?${put(attack.request.query)}` : '';
    return {
      method: 'POST',
      path: `/${endpoint}/${attack.profile}${query}`,
      headers: body ? [...headers, ['Content-Type', 'application/json'] as const] : headers,
      body: endpoint === 'authz' ? undefined : body,
    };
  }

  for (const file of corpus) {
    describe(file.name, () => {
      for (const attack of file.cases) {
        it(`${attack.name} → ${attack.expect.status} ${attack.expect.code ?? ''}`, async () => {
          for (const endpoint of attack.endpoints ?? ['verify', 'exchange', 'authz']) {
            const res = await sendRaw(base, await requestFor(attack, endpoint));
            assertAnswer(res, endpoint, attack.expect);
          }
        });
      }
    });
  }

  it('never called a URL a token named (jku, x5u)', () => {
    assert.equal(attackerServer.hits, 0);
  });
});
