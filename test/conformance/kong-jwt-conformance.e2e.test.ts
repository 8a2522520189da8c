import assert from 'node:assert/strict';
import {
  constants,
  createHmac,
  generateKeyPair,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/common/validation';
import { ManualClock, startSts, tempDir, type InjectResult, type TestSts } from '../helpers';

/** test/fixtures/kong-jwt-access-spec.json: Kong's jwt access spec as data (see its `rules`). */
interface KongSpec {
  source: { commit: string; cases: number };
  differences: Record<string, string>;
  keys: Record<string, { type: 'rsa' | 'ec' | 'ed25519' | 'ed448'; [option: string]: unknown }>;
  consumers: {
    id?: string;
    username: string;
    jwt: {
      key: string;
      algorithm?: string;
      secret?: string;
      rsa_public_key?: { key: string };
      difference?: string;
      refused?: string;
    }[];
  }[];
  routes: Record<
    string,
    {
      kong: { claims_to_verify?: string[] };
      profile: Record<string, unknown>;
      difference?: string;
      refused?: string;
    }
  >;
  cases: KongCase[];
  not_applicable: { kong: KongCase['kong']; reason: string }[];
}

interface Answer {
  status: number;
  message?: string;
  claim_errors?: Record<string, string>;
  www_authenticate?: string;
  consumer?: { username?: string; credential?: string; anonymous?: boolean };
  profile_refused?: boolean;
}

interface KongCase {
  kong: { describe: string; it: string; line: number };
  route: string;
  admin?: { method: 'PATCH'; path: string; body: object; status: number }[];
  token?: {
    claims: Record<string, unknown>;
    header?: Record<string, unknown>;
    sign: { alg: string; secret?: string; key?: string };
    prefix?: string;
  };
  request: { headers?: Record<string, string | string[]>; query?: string; cookie?: string };
  expect: Answer;
  difference?: string;
  ours?: Answer;
}

const SPEC = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kong-jwt-access-spec.json'),
    'utf8',
  ),
) as KongSpec;
const ADMIN_TOKEN = 'admin-token-for-kong-conformance';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

const generate = promisify(generateKeyPair) as (
  type: string,
  options: object,
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

/** Kong's fixture keys, regenerated with the same type, size and curve. */
async function fixtureKeys(): Promise<
  Map<string, { publicKey: KeyObject; privateKey: KeyObject }>
> {
  const entries = await Promise.all(
    Object.entries(SPEC.keys).map(async ([name, { type, ...options }]) => {
      return [name, await generate(type, options)] as const;
    }),
  );
  return new Map(entries);
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Kong's `jwt_encoder.encode(payload, key, alg, header)`, written against node:crypto. */
function encode(
  claims: Record<string, unknown>,
  { alg, secret, key }: NonNullable<KongCase['token']>['sign'],
  header: Record<string, unknown> | undefined,
  keys: Map<string, { privateKey: KeyObject }>,
): string {
  const input = `${b64url(JSON.stringify(header ?? { typ: 'JWT', alg }))}.${b64url(JSON.stringify(claims))}`;
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('HS'))
    return `${input}.${b64url(createHmac(hash, secret!).update(input).digest())}`;
  const options = alg.startsWith('PS')
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.startsWith('ES')
      ? { dsaEncoding: 'ieee-p1363' as const }
      : {};
  const signature = cryptoSign(alg === 'EdDSA' ? null : hash, Buffer.from(input), {
    key: keys.get(key!)!.privateKey,
    ...options,
  });
  return `${input}.${b64url(signature)}`;
}

/** `{"now": n}` is the clock's time plus n seconds. */
const claimsAt = (claims: Record<string, unknown>, now: number) =>
  Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      typeof value === 'object' && value !== null && 'now' in value
        ? now + (value as { now: number }).now
        : value,
    ]),
  );

/** The `claim_errors` rule: claims_to_verify order, token texts as they are, others named. */
const claimErrorsDescription = (errors: Record<string, string>, order?: string[]) =>
  (order ?? Object.keys(errors))
    .filter((claim) => claim in errors)
    .map((claim) =>
      errors[claim]!.startsWith('token ') ? errors[claim]! : `'${claim}' claim ${errors[claim]}`,
    )
    .join('; ');

/** The `www_authenticate` rule: a realm always (the host by default), error_description added. */
function ourChallenge(kong: string, host: string, description: string): string {
  const realm = /realm="([^"]*)"/.exec(kong)?.[1] ?? host;
  const error = /error="([^"]*)"/.exec(kong)?.[1];
  return error
    ? `Bearer realm="${realm}", error="${error}", error_description="${description}"`
    : `Bearer realm="${realm}"`;
}

describe(`Kong jwt plugin access spec (Kong/kong@${SPEC.source.commit.slice(0, 10)})`, () => {
  const clock = new ManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let sts: TestSts;
  let keys: Awaited<ReturnType<typeof fixtureKeys>>;
  const pem = (name: string) =>
    keys.get(name)!.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  /** What creating each credential and profile answered, by key or route. */
  const created = new Map<string, InjectResult>();

  const admin = (method: 'POST' | 'PATCH', url: string, body: object) =>
    sts.inject({ method, url, headers: ADMIN, payload: JSON.stringify(body) });

  before(async () => {
    keys = await fixtureKeys();
    sts = await startSts({ clock, env: { STS_ADMIN_TOKEN: ADMIN_TOKEN } });
    for (const { jwt, ...consumer } of SPEC.consumers) {
      const res = await admin('POST', '/admin/consumers', consumer);
      assert.equal(res.statusCode, 201, res.body);
      for (const { key, algorithm, secret, rsa_public_key } of jwt) {
        const body = {
          key,
          algorithm,
          secret,
          rsa_public_key: rsa_public_key && pem(rsa_public_key.key),
        };
        created.set(key, await admin('POST', `/admin/consumers/${consumer.username}/jwt`, body));
      }
    }
    for (const [name, { profile }] of Object.entries(SPEC.routes))
      created.set(name, await admin('POST', '/admin/profiles', { name, ...profile }));
  });
  after(() => sts?.cleanup());

  it(`lists all ${SPEC.source.cases} of Kong's cases, each applicable or with its reason`, () => {
    assert.equal(SPEC.cases.length + SPEC.not_applicable.length, SPEC.source.cases);
    const lines = [...SPEC.cases, ...SPEC.not_applicable].map(({ kong }) => kong.line);
    assert.equal(new Set(lines).size, lines.length, 'each Kong case once');
    for (const { reason } of SPEC.not_applicable) assert.ok(reason.length > 0);
    const used = [
      ...SPEC.cases.map((c) => c.difference),
      ...Object.values(SPEC.routes).map((r) => r.difference),
      ...SPEC.consumers.flatMap((c) => c.jwt.map((j) => j.difference)),
    ].filter((id): id is string => id !== undefined);
    assert.deepEqual(new Set(used), new Set(Object.keys(SPEC.differences)));
  });

  it('creates every credential and profile Kong accepts; refuses the deliberate differences', () => {
    const expected = [
      ...SPEC.consumers.flatMap(({ jwt }) => jwt.map((c) => [c.key, c.refused] as const)),
      ...Object.entries(SPEC.routes).map(([name, r]) => [name, r.refused] as const),
    ];
    for (const [name, refused] of expected) {
      const res = created.get(name)!;
      if (refused === undefined) {
        assert.equal(res.statusCode, 201, `${name}: ${res.body}`);
        continue;
      }
      assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
      assert.ok(
        res.json<{ error_description: string }>().error_description.endsWith(refused),
        res.body,
      );
    }
  });

  it('refuses the same in the declarative file, at start-up', async () => {
    const [withSmallKey] = SPEC.consumers.filter(({ jwt }) => jwt.some((c) => c.refused));
    const credential = withSmallKey!.jwt.find((c) => c.refused)!;
    const dir = tempDir();
    const file = join(dir, 'sts.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        consumers: [
          {
            username: withSmallKey!.username,
            jwt_secrets: [
              {
                key: credential.key,
                algorithm: credential.algorithm,
                rsa_public_key: pem(credential.rsa_public_key!.key),
              },
            ],
          },
        ],
      }),
    );
    assert.throws(
      () => loadConfig({ STS_CONFIG: file, STS_DATA_DIR: dir }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some(
          (p) => p.path === 'consumers[0].jwt_secrets[0]' && p.message === credential.refused,
        ),
    );
    rmSync(dir, { recursive: true, force: true });

    const [name, route] = Object.entries(SPEC.routes).find(([, r]) => r.refused)!;
    const dataDir = tempDir();
    await assert.rejects(
      startSts({ dataDir, file: { profiles: [{ name, ...route.profile }] } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some(
          (p) => p.path.endsWith('credentials.anonymous') && p.message === route.refused,
        ),
    );
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const kase of SPEC.cases) {
    const { describe: group, it: title, line } = kase.kong;
    const label = kase.difference ? ` [deliberate difference: ${kase.difference}]` : '';
    it(`${group} › ${title} (line ${line})${label}`, async () => {
      for (const step of kase.admin ?? []) {
        const res = await admin(step.method, step.path, step.body);
        assert.equal(res.statusCode, step.status, res.body);
      }
      const token = kase.token
        ? (kase.token.prefix ?? '') +
          encode(claimsAt(kase.token.claims, now()), kase.token.sign, kase.token.header, keys)
        : '';
      const fill = (value: string) => value.replaceAll('{token}', token);
      const { headers = {}, query, cookie } = kase.request;
      const res = await sts.inject({
        method: 'POST',
        url: `/verify/${kase.route}${query ? `?${fill(query)}` : ''}`,
        headers: {
          host: kase.route,
          ...Object.fromEntries(
            Object.entries(headers).map(([name, v]) => [
              name,
              Array.isArray(v) ? v.map(fill) : fill(v),
            ]),
          ),
          ...(cookie ? { cookie: fill(cookie) } : {}),
        },
      });

      const answer = kase.ours ?? kase.expect;
      assert.equal(res.statusCode, answer.status, res.body);
      if (answer.profile_refused) {
        assert.equal(created.get(kase.route)!.statusCode, 400);
        return;
      }
      if (answer.status === 200) {
        const { consumer } = res.json<{ consumer: Record<string, unknown> }>();
        const expected = answer.consumer ?? {};
        for (const [field, value] of Object.entries(expected))
          assert.equal(consumer[field], value, field);
        return;
      }
      const description =
        answer.message ??
        claimErrorsDescription(
          answer.claim_errors!,
          SPEC.routes[kase.route]!.kong.claims_to_verify,
        );
      assert.equal(res.json<{ error_description: string }>().error_description, description);
      assert.equal(
        res.headers['www-authenticate'],
        ourChallenge(
          answer.www_authenticate ?? kase.expect.www_authenticate!,
          kase.route,
          description,
        ),
      );
    });
  }
});
