import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { startSts, verifyWithPyJwt, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const ORDERS = 'https://orders.example.com';

describe('POST /exchange (RFC 8693) driven like a third-party OAuth client', () => {
  let sts: TestSts;
  let idp: LocalIdp;
  let base: string;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    idp = await startIdp('RS256');
    sts = await startSts({
      env: { STS_ISSUER: 'https://sts.example.com' },
      file: {
        profiles: [
          { channel_token_optional: true, name: 'subjects', access_token_jwks_uri: idp.jwksUri },
        ],
        clients: [
          {
            client_id: 'svc-a',
            client_secret: 'secret-a',
            profile: 'subjects',
            audiences: [ORDERS, 'https://billing.example.com'],
            scopes: ['read', 'write', 'admin'],
          },
          { client_id: 'lost', client_secret: 'secret-l', profile: 'no-such-profile' },
        ],
      },
    });
    await sts.app.listen(0, '127.0.0.1');
    base = await sts.app.getUrl();
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const post = async (
    form: Record<string, string | string[]>,
    authorization: string | null = basic('svc-a', 'secret-a'),
  ) => {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form))
      for (const v of [value].flat()) body.append(name, v);
    const res = await fetch(`${base}/exchange`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization ? { authorization } : {}),
      },
      body,
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Record<string, unknown>,
    };
  };
  const subject = (claims: Record<string, unknown> = {}) =>
    idp.sign({ sub: 'alice', scope: 'read write', exp: now() + 900, ...claims });
  const request = async (extra: Record<string, string | string[]> = {}) => ({
    grant_type: GRANT,
    subject_token: await subject(),
    subject_token_type: ACCESS_TOKEN,
    ...extra,
  });

  it('issues an RFC 9068 at+jwt narrowed to the requested audience and scope', async () => {
    const res = await post(await request({ audience: ORDERS, scope: 'read' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.issued_token_type, ACCESS_TOKEN);
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.scope, 'read');
    assert.ok((res.body.expires_in as number) > 0 && (res.body.expires_in as number) <= 900);
    const token = res.body.access_token as string;
    assert.equal(decodeProtectedHeader(token).typ, 'at+jwt');
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    const claims = verifyWithPyJwt(token, jwks, ['RS256']);
    assert.equal(claims.iss, 'https://sts.example.com');
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, ORDERS);
    assert.equal(claims.client_id, 'svc-a');
    assert.equal(claims.scope, 'read');
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    assert.equal(typeof claims.iat, 'number');
  });

  it('accepts client_secret_post and a jwt requested_token_type', async () => {
    const res = await post(
      await request({ client_id: 'svc-a', client_secret: 'secret-a', requested_token_type: JWT }),
      null,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.issued_token_type, JWT);
    const claims = decodeJwt(res.body.access_token as string);
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims.aud, [ORDERS, 'https://billing.example.com'], "the client's audiences");
    assert.equal(claims.scope, 'read write', "the subject's scopes");
    assert.equal(claims.client_id, 'svc-a');
  });

  it("never grants a subject token's scope that the client may not get", async () => {
    // svc-a may get read, write and admin; the subject token also carries delete.
    const wide = await subject({ scope: 'read write delete' });
    const narrowed = await post(await request({ subject_token: wide }));
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.equal(narrowed.body.scope, 'read write');
    assert.equal(decodeJwt(narrowed.body.access_token as string).scope, 'read write');
    const refused = await post(await request({ subject_token: wide, scope: 'read delete' }));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_scope');
  });

  it('puts the actor in act, nesting an act the subject already had', async () => {
    const actor = await idp.sign({ sub: 'gateway-7', exp: now() + 900 });
    const prior = { sub: 'batch-job' };
    const res = await post({
      grant_type: GRANT,
      subject_token: await subject({ act: prior }),
      subject_token_type: ACCESS_TOKEN,
      actor_token: actor,
      actor_token_type: JWT,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const payload = decodeJwt(res.body.access_token as string);
    assert.deepEqual(payload.act, { sub: 'gateway-7', iss: 'https://idp.example.com', act: prior });
  });

  it('honours may_act: a permitted actor passes, another is invalid_grant', async () => {
    const actor = await idp.sign({ sub: 'gateway-7', exp: now() + 900 });
    const form = async (mayAct: object) => ({
      grant_type: GRANT,
      subject_token: await subject({ may_act: mayAct }),
      subject_token_type: ACCESS_TOKEN,
      actor_token: actor,
      actor_token_type: JWT,
    });
    assert.equal((await post(await form({ sub: 'gateway-7' }))).status, 200);
    const refused = await post(await form({ sub: 'someone-else' }));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
  });

  const errorCases: [
    string,
    () => Promise<[Record<string, string | string[]>, string | null]>,
    number,
    string,
  ][] = [
    [
      'missing subject_token',
      () =>
        Promise.resolve([
          { grant_type: GRANT, subject_token_type: ACCESS_TOKEN },
          basic('svc-a', 'secret-a'),
        ]),
      400,
      'invalid_request',
    ],
    [
      'an expired subject token',
      async () => [
        await request({ subject_token: await subject({ exp: now() - 60 }) }),
        basic('svc-a', 'secret-a'),
      ],
      400,
      'invalid_request',
    ],
    [
      'an unsupported subject_token_type',
      async () => [
        await request({ subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }),
        basic('svc-a', 'secret-a'),
      ],
      400,
      'invalid_request',
    ],
    [
      'a wrong client secret',
      async () => [await request(), basic('svc-a', 'wrong')],
      401,
      'invalid_client',
    ],
    ['no client authentication', async () => [await request(), null], 401, 'invalid_client'],
    [
      'a client without a usable profile',
      async () => [await request(), basic('lost', 'secret-l')],
      400,
      'unauthorized_client',
    ],
    [
      'another grant type',
      async () => [await request({ grant_type: 'client_credentials' }), basic('svc-a', 'secret-a')],
      400,
      'unsupported_grant_type',
    ],
    [
      'a scope wider than the subject token',
      async () => [await request({ scope: 'read admin' }), basic('svc-a', 'secret-a')],
      400,
      'invalid_scope',
    ],
    [
      'an audience the client may not request',
      async () => [
        await request({ audience: 'https://evil.example.com' }),
        basic('svc-a', 'secret-a'),
      ],
      400,
      'invalid_target',
    ],
    [
      'a resource the client may not request',
      async () => [
        await request({ resource: ['https://evil.example.com'] }),
        basic('svc-a', 'secret-a'),
      ],
      400,
      'invalid_target',
    ],
  ];
  it('refuses a JSON body with 415: RFC 8693 takes form parameters only', async () => {
    const res = await fetch(`${base}/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('svc-a', 'secret-a') },
      body: JSON.stringify(await request()),
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      error: 'unsupported_media_type',
      error_description: 'content type not supported here; send application/x-www-form-urlencoded',
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    });
  });

  for (const [name, build, status, error] of errorCases) {
    it(`${name} → ${status} ${error}`, async () => {
      const [form, authorization] = await build();
      const res = await post(form, authorization);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error, error);
      assert.equal(typeof res.body.error_description, 'string');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    });
  }
});
