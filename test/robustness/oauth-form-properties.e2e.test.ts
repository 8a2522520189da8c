import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from '../../src/exchange/token-types';
import { startSts, type InjectResult, type TestSts } from '../helpers';
import { TestIdp } from '../idp';
import { fuzz } from './fuzz';

/**
 * Properties of the OAuth endpoints: random RFC 8693 (`POST /exchange`) and RFC 7662
 * (`POST /introspect`) forms — valid members left out, repeated, emptied, replaced by junk,
 * unknown members, other encodings and content types, any client authentication — are answered
 * 200 or a documented 4xx in the error shape, never a 5xx.
 */
const CLIENT = { id: 'svc', secret: 'svc-secret-of-some-length' };
const AUDIENCE = 'https://orders.example.com';
const NAMES = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  undefined,
];
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Junk a member may hold instead of a valid value. */
const junk = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ maxLength: 4000 }),
  fc.constantFrom('urn:ietf:params:oauth:token-type:refresh_token', 'null', '[]', '%zz', '\u0000'),
);

describe('OAuth endpoints under random forms (fast-check)', () => {
  let sts: TestSts;
  let idp: TestIdp;
  /** Valid values of each member, drawn from more often than junk. */
  const valid: Record<string, string[]> = {};

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('rs', 'RS256');
    sts = await startSts({
      env: { STS_RATE_LIMIT_MAX: '1000000' },
      file: {
        profiles: [
          { name: 'api', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true },
        ],
        clients: [
          {
            client_id: CLIENT.id,
            client_secret: CLIENT.secret,
            profile: 'api',
            audiences: [AUDIENCE, 'https://billing.example.com'],
            scopes: ['read', 'write'],
          },
        ],
      },
    });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const subject = await idp.sign(
      { iss: 'https://idp', sub: 'alice', scope: 'read write', exp },
      'rs',
    );
    const actor = await idp.sign({ iss: 'https://idp', sub: 'svc', exp }, 'rs');
    const exchanged = await sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: {
        authorization: basic(CLIENT.id, CLIENT.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subject,
        subject_token_type: TOKEN_TYPES.access_token,
      }).toString(),
    });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    const ours = exchanged.json<{ access_token: string }>().access_token;
    Object.assign(valid, {
      grant_type: [TOKEN_EXCHANGE_GRANT, 'client_credentials'],
      subject_token: [subject, ours, subject.slice(0, -2)],
      subject_token_type: Object.values(TOKEN_TYPES),
      actor_token: [actor],
      actor_token_type: [TOKEN_TYPES.access_token, TOKEN_TYPES.jwt],
      requested_token_type: Object.values(TOKEN_TYPES),
      audience: [AUDIENCE, 'https://elsewhere.example.com'],
      resource: [AUDIENCE],
      scope: ['read', 'read write', 'admin', ''],
      client_id: [CLIENT.id, 'nobody'],
      client_secret: [CLIENT.secret],
      token: [ours, subject, `${ours.slice(0, -3)}abc`],
      token_type_hint: ['access_token', 'refresh_token'],
    });
  });
  after(async () => {
    await sts.cleanup();
    await idp.close();
  });

  /** A form: members (valid values mostly), in any order, some repeated, plus unknown ones. */
  const form = fc
    .array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .constantFrom(...NAMES)
            .chain((name) =>
              fc.tuple(
                fc.constant(name),
                fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid[name]!) }, junk),
              ),
            ),
        },
        fc.tuple(
          fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')),
          junk,
        ),
      ),
      { maxLength: 14 },
    )
    .map((pairs) => {
      const params = new URLSearchParams();
      for (const [name, value] of pairs) params.append(name, value);
      return params.toString();
    });

  const request = fc.record({
    body: fc.oneof({ weight: 8, arbitrary: form }, fc.string({ maxLength: 200 })),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant(CONTENT_TYPES[0]) },
      fc.constantFrom(...CONTENT_TYPES),
    ),
    authorization: fc.oneof(
      { weight: 8, arbitrary: fc.constant(basic(CLIENT.id, CLIENT.secret)) },
      fc.constant(undefined),
      fc
        .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
        .map(([id, s]) => basic(id, s)),
      fc.string({ maxLength: 40 }).map((s) => `Basic ${s}`),
    ),
  });

  const post = (url: string, req: { body: string; contentType?: string; authorization?: string }) =>
    sts.inject({
      method: 'POST',
      url,
      headers: {
        ...(req.contentType ? { 'content-type': req.contentType } : {}),
        ...(req.authorization ? { authorization: req.authorization } : {}),
      },
      payload: req.body,
    });

  const assertOAuthAnswer = (res: InjectResult, success: (body: any) => void) => {
    assert.ok([200, 400, 401, 415].includes(res.statusCode), `${res.statusCode} ${res.body}`);
    assert.equal(res.headers['cache-control'], 'no-store', res.body);
    const body = res.json();
    if (res.statusCode === 200) success(body);
    else assert.equal(typeof body.error, 'string', res.body);
  };

  it('RFC 8693 /exchange: 200 or a documented 4xx, never a 5xx', async (t) => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        assertOAuthAnswer(await post('/exchange', req), (body) => {
          assert.equal(typeof body.access_token, 'string');
          assert.equal(body.token_type, 'Bearer');
          assert.ok(
            Number.isInteger(body.expires_in) && body.expires_in > 0,
            String(body.expires_in),
          );
        });
      }),
      fuzz(t, 200),
    );
  });

  it('RFC 7662 /introspect: 200 or a documented 4xx, never a 5xx', async (t) => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        assertOAuthAnswer(await post('/introspect', req), (body) => {
          assert.equal(typeof body.active, 'boolean');
          if (!body.active) assert.deepEqual(body, { active: false });
        });
      }),
      fuzz(t, 150),
    );
  });
});
