import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompactSign, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { DataSource } from 'typeorm';
import { StsError } from '../../src/common/errors';
import { ConsumerService } from '../../src/consumers/consumer.service';
import { ProfileService } from '../../src/profiles/profile.service';
import { verifyEd448Signature } from '../../src/verification/ed448-signature';
import { ManualClock, startSts, type TestSts } from '../helpers';

const encoder = new TextEncoder();
const HS_SECRET = 'alice-shared-secret-of-32-bytes!';
const B64_SECRET_BYTES = Buffer.from('c0ffee00c0ffee00c0ffee00c0ffee00', 'hex');

/** An EdDSA token signed with Node's crypto (jose has no Ed448). */
function edToken(
  claims: Record<string, unknown>,
  key: KeyObject,
  header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT' },
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString('base64url')}`;
}

async function sign(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg: string,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, typ: 'JWT', ...header })
    .sign(key);
}

describe('Kong JWT credentials mode (seed 002)', () => {
  const clock = new ManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let sts: TestSts;
  let bobKey: CryptoKey;
  const erin = generateKeyPairSync('ed448');

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    bobKey = pair.privateKey;
    sts = await startSts({
      clock,
      file: {
        consumers: [
          {
            username: 'alice',
            custom_id: 'A-1',
            jwt_secrets: [{ key: 'alice-key', algorithm: 'HS256', secret: HS_SECRET }],
          },
          {
            username: 'bob',
            jwt_secrets: [
              {
                key: 'bob-key',
                algorithm: 'RS256',
                secret: 'unused (decK needs one)',
                rsa_public_key: await exportSPKI(pair.publicKey),
              },
            ],
          },
          {
            username: 'carol',
            jwt_secrets: [{ key: 'carol-key', secret: B64_SECRET_BYTES.toString('base64') }],
          },
          {
            username: 'erin',
            jwt_secrets: [
              {
                key: 'erin-ed448',
                algorithm: 'EdDSA',
                rsa_public_key: erin.publicKey.export({ type: 'spki', format: 'pem' }),
              },
            ],
          },
          { username: 'anonymous' },
        ],
        profiles: [
          {
            name: 'kong-jwt',
            realm: 'kong',
            credentials: { claims_to_verify: ['exp', 'nbf'], cookie_names: ['jwt'] },
            channel_token_optional: true,
          },
          {
            name: 'kong-jwt-b64',
            credentials: { secret_is_base64: true, key_claim_name: 'kid' },
            channel_token_optional: true,
          },
          {
            name: 'kong-jwt-max',
            credentials: { claims_to_verify: ['exp'], maximum_expiration: 600 },
            channel_token_optional: true,
          },
          {
            name: 'kong-jwt-anon',
            credentials: { anonymous: 'anonymous' },
            channel_token_optional: true,
          },
        ],
      },
    });
  });
  after(() => sts.cleanup());

  const hs = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    sign(claims, encoder.encode(HS_SECRET), 'HS256', header);
  // Kong JWT requires every claim listed in claims_to_verify, nbf included.
  const fresh = (extra: Record<string, unknown> = {}) => ({
    nbf: now() - 10,
    exp: now() + 300,
    ...extra,
  });
  const call = (profile: string, opts: { token?: string; query?: string; cookie?: string } = {}) =>
    sts.inject({
      method: 'POST',
      url: `/verify/${profile}${opts.query ? `?${opts.query}` : ''}`,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
      },
    });
  const rejectedWith = (res: Awaited<ReturnType<typeof call>>, message: string) => {
    assert.equal(res.statusCode, 401, res.body);
    const body = res.json<{ error: string; error_description: string }>();
    assert.equal(body.error, 'invalid_token');
    assert.equal(body.error_description, message);
    assert.match(
      String(res.headers['www-authenticate']),
      new RegExp(`error="invalid_token", error_description="${message}"`),
    );
  };

  it('verifies an HS256 credential and returns its consumer and credential', async () => {
    const res = await call('kong-jwt', { token: await hs(fresh({ iss: 'alice-key' })) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Record<string, any>>();
    assert.equal(body.consumer.username, 'alice');
    assert.equal(body.consumer.custom_id, 'A-1');
    assert.equal(body.consumer.credential, 'alice-key');
    assert.equal(body.consumer.anonymous, false);
  });

  it('verifies an RS256 credential (rsa_public_key PEM)', async () => {
    const token = await sign(fresh({ iss: 'bob-key' }), bobKey, 'RS256');
    const res = await call('kong-jwt', { token });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Record<string, any>>().consumer.username, 'bob');
  });

  it('verifies an EdDSA credential with an Ed448 key (Node crypto checks that signature)', async () => {
    const res = await call('kong-jwt', {
      token: edToken(fresh({ iss: 'erin-ed448' }), erin.privateKey),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Record<string, any>>().consumer.credential, 'erin-ed448');

    const other = generateKeyPairSync('ed448').privateKey;
    rejectedWith(
      await call('kong-jwt', { token: edToken(fresh({ iss: 'erin-ed448' }), other) }),
      'Invalid signature',
    );
    const [header, , signature] = edToken(fresh({ iss: 'erin-ed448' }), erin.privateKey).split('.');
    const changed = Buffer.from(JSON.stringify(fresh({ iss: 'erin-ed448', admin: true })));
    rejectedWith(
      await call('kong-jwt', { token: `${header}.${changed.toString('base64url')}.${signature}` }),
      'Invalid signature',
    );
    const ed25519 = generateKeyPairSync('ed25519').privateKey;
    rejectedWith(
      await call('kong-jwt', { token: edToken(fresh({ iss: 'erin-ed448' }), ed25519) }),
      'Invalid signature',
    );
    rejectedWith(
      await call('kong-jwt', {
        token: edToken(fresh({ iss: 'erin-ed448' }), erin.privateKey, {
          alg: 'EdDSA',
          crit: ['exp'],
          exp: 1,
        }),
      }),
      'the crit header parameter is not supported',
    );
    const hmac = await sign(fresh({ iss: 'erin-ed448' }), encoder.encode('x'), 'HS256');
    rejectedWith(await call('kong-jwt', { token: hmac }), 'Invalid algorithm');
    // On its own too, the Node check takes only EdDSA with an Ed448 key.
    const token = edToken(fresh(), erin.privateKey);
    assert.throws(() => verifyEd448Signature(token, { alg: 'ES256' }, erin.publicKey), {
      message: 'Invalid algorithm',
    });
    const ed25519Public = generateKeyPairSync('ed25519').publicKey;
    assert.throws(() => verifyEd448Signature(token, { alg: 'EdDSA' }, ed25519Public), {
      message: 'Invalid algorithm',
    });
  });

  it('decodes base64 secrets with secret_is_base64 and finds the key in the header', async () => {
    const token = await sign(fresh(), new Uint8Array(B64_SECRET_BYTES), 'HS256', {
      kid: 'carol-key',
    });
    const res = await call('kong-jwt-b64', { token });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Record<string, any>>().consumer.username, 'carol');
    // The same token signed with the base64 text itself (not the decoded bytes) fails.
    const wrong = await sign(
      fresh(),
      encoder.encode(B64_SECRET_BYTES.toString('base64')),
      'HS256',
      {
        kid: 'carol-key',
      },
    );
    rejectedWith(await call('kong-jwt-b64', { token: wrong }), 'Invalid signature');
  });

  it('reads the token from the query (jwt) and cookies too', async () => {
    const token = await hs(fresh({ iss: 'alice-key' }));
    const fromQuery = await call('kong-jwt', { query: `jwt=${token}` });
    assert.equal(fromQuery.json<Record<string, any>>().access_token.source, 'query:jwt');
    const fromCookie = await call('kong-jwt', { cookie: `theme=dark; jwt=${token}` });
    assert.equal(fromCookie.json<Record<string, any>>().access_token.source, 'cookie:jwt');
    assert.equal((await call('kong-jwt', { token, query: `jwt=${token}` })).statusCode, 200);
  });

  describe("Kong's error messages", () => {
    it("No mandatory 'iss' in claims", async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh()) }),
        "No mandatory 'iss' in claims",
      ));

    it("Invalid 'iss' in claims", async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh({ iss: '' })) }),
        "Invalid 'iss' in claims",
      ));

    it("No credentials found for given 'iss'", async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh({ iss: 'nobody' })) }),
        "No credentials found for given 'iss'",
      ));

    it('Invalid signature', async () =>
      rejectedWith(
        await call('kong-jwt', {
          token: await sign(fresh({ iss: 'alice-key' }), encoder.encode('wrong secret'), 'HS256'),
        }),
        'Invalid signature',
      ));

    it('Invalid algorithm (the credential pins it; HS384 and an RS256 credential used as HMAC)', async () => {
      rejectedWith(
        await call('kong-jwt', {
          token: await sign(fresh({ iss: 'alice-key' }), encoder.encode(HS_SECRET), 'HS384'),
        }),
        'Invalid algorithm',
      );
      rejectedWith(
        await call('kong-jwt', {
          token: await sign(fresh({ iss: 'bob-key' }), encoder.encode('anything'), 'HS256'),
        }),
        'Invalid algorithm',
      );
    });

    it('Multiple tokens provided', async () =>
      rejectedWith(
        await call('kong-jwt', {
          token: await hs(fresh({ iss: 'alice-key' })),
          query: `jwt=${await hs(fresh({ iss: 'alice-key', n: 2 }))}`,
        }),
        'Multiple tokens provided',
      ));

    it('token expired', async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh({ iss: 'alice-key', exp: now() - 1 })) }),
        'token expired',
      ));

    it('token not valid yet', async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh({ iss: 'alice-key', nbf: now() + 60 })) }),
        'token not valid yet',
      ));

    it("'exp' claim must be a number", async () =>
      rejectedWith(
        await call('kong-jwt', { token: await hs(fresh({ iss: 'alice-key', exp: 'tomorrow' })) }),
        "'exp' claim must be a number",
      ));

    it('every failing claim, in claims_to_verify order; the first one decides the code', async () => {
      const res = await call('kong-jwt', { token: await hs({ iss: 'alice-key', exp: now() - 1 }) });
      rejectedWith(res, "token expired; 'nbf' claim must be a number");
      assert.equal(res.json<{ code: string }>().code, 'ERR_TOKEN_EXPIRED');
    });

    it("'exp' claim exceeds maximum allowed expiration", async () => {
      rejectedWith(
        await call('kong-jwt-max', { token: await hs({ iss: 'alice-key', exp: now() + 601 }) }),
        "'exp' claim exceeds maximum allowed expiration",
      );
      const ok = await call('kong-jwt-max', {
        token: await hs({ iss: 'alice-key', exp: now() + 600 }),
      });
      assert.equal(ok.statusCode, 200);
    });

    it("Bad token; invalid JSON, alg or signature: Kong's parser, in its order", async () => {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const header = part({ alg: 'HS256', typ: 'JWT' });
      const claims = part({ iss: 'nobody' });
      const cases: [string, string][] = [
        ['not-a-jwt', 'Bad token; invalid JSON'],
        [`${header}.${claims}`, 'Bad token; invalid JSON'],
        [`${header}.not*base64.sig`, 'Bad token; invalid JSON'],
        [`${header}.${part('a string')}.sig`, 'Bad token; invalid JSON'],
        [`${part(['HS256'])}.${claims}.sig`, 'Bad token; invalid JSON'],
        [`${part({ alg: 'none' })}.${claims}.`, 'Bad token; invalid alg'],
        [`${part({ typ: 'JWT' })}.not*base64.sig`, 'Bad token; invalid JSON'],
        [`${header}.${claims}.not*base64`, 'Bad token; invalid signature'],
        [`${header}.${claims}.sig.more`, 'Bad token; invalid signature'],
        // Only then is the credential looked for.
        [`${header}.${claims}.sig`, "No credentials found for given 'iss'"],
        [
          `${part({ alg: 'HS256', b64: false, crit: ['b64'] })}.${claims}.sig`,
          'Bad token; invalid JWT',
        ],
      ];
      for (const [token, message] of cases)
        rejectedWith(await call('kong-jwt', { token }), message);
    });
  });

  it('falls back to the anonymous consumer when authentication fails', async () => {
    for (const token of [undefined, await hs(fresh({ iss: 'nobody' }))]) {
      const res = await call('kong-jwt-anon', { token });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<Record<string, any>>();
      assert.equal(body.consumer.username, 'anonymous');
      assert.equal(body.consumer.anonymous, true);
      assert.equal('access_token' in body, false);
    }
    const real = await call('kong-jwt-anon', { token: await hs(fresh({ iss: 'alice-key' })) });
    assert.equal(real.json<Record<string, any>>().consumer.anonymous, false);
  });

  it('stores credential secrets encrypted, never in clear', async () => {
    const rows: { key: string; secret_encrypted: string | null }[] = await sts.app
      .get(DataSource)
      .query('SELECT key, secret_encrypted FROM jwt_credentials');
    assert.equal(rows.length, 4);
    const dump = JSON.stringify(rows);
    assert.equal(dump.includes(HS_SECRET), false);
    assert.equal(dump.includes(B64_SECRET_BYTES.toString('base64')), false);
    assert.equal(rows.find((r) => r.key === 'bob-key')!.secret_encrypted, null);
  });

  it('consumers, credentials and profiles written at runtime apply at once and survive a restart', async () => {
    const consumers = sts.app.get(ConsumerService);
    const profiles = sts.app.get(ProfileService);
    await consumers.save({
      username: 'dave',
      jwt_secrets: [{ key: 'dave-key', secret: 'dave-s3cret' }],
    });
    await profiles.save({ name: 'runtime', credentials: {}, channel_token_optional: true });
    const token = await sign(fresh({ iss: 'dave-key' }), encoder.encode('dave-s3cret'), 'HS256');
    const res = await call('runtime', { token });
    assert.equal(res.json<Record<string, any>>().consumer.username, 'dave');
    await assert.rejects(
      profiles.save({ name: 'broken', access_token_leeway: 'soon', channel_token_optional: true }),
      (err: unknown) => err instanceof StsError && /access_token_leeway/.test(err.description),
    );

    await sts.close();
    sts = await startSts({ clock, dataDir: sts.dataDir, file: { profiles: [] } });
    const again = await call('runtime', { token });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json<Record<string, any>>().consumer.username, 'dave');

    await sts.app.get(ConsumerService).removeCredential('dave-key');
    rejectedWith(await call('runtime', { token }), "No credentials found for given 'iss'");
    await sts.app.get(ProfileService).delete('runtime');
    assert.equal((await call('runtime', { token })).statusCode, 404);
  });
});
