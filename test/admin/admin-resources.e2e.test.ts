import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { CompactSign, exportSPKI, generateKeyPair } from 'jose';
import { parse as parseYaml } from 'yaml';
import type { ExportedConfig } from '../../src/admin/config-export.service';
import { AuditLog, type AuditEntry } from '../../src/logging/audit-log';
import type { Page } from '../../src/admin/pagination';
import { ProfileService } from '../../src/profiles/profile.service';
import { startSts, tempDir, type InjectOptions, type InjectResult, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

const TOKEN = 'admin-token-for-resources';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']);
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const INTROSPECTION_AUTH = 'Basic aW50cm9zcGVjdG9yOnMzY3IzdA==';
const HS_SECRET = 'dave-shared-secret-of-32-bytes!!';
const HS_SECRET_2 = 'dave-second-secret-of-32-bytes!!';

const now = () => Math.floor(Date.now() / 1000);
const encoder = new TextEncoder();
const hs = (claims: Record<string, unknown>, secret: string) =>
  new CompactSign(encoder.encode(JSON.stringify({ exp: now() + 300, ...claims })))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(encoder.encode(secret));

/** Members anywhere in a JSON value that are private key members or hold a secret in clear. */
function leakedMembers(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leakedMembers(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(PRIVATE_MEMBERS.has(key) ||
    (/secret|password|authorization/i.test(key) &&
      typeof child === 'string' &&
      child !== '[REDACTED]')
      ? [`${path}.${key}`]
      : []),
    ...leakedMembers(child, `${path}.${key}`),
  ]);
}

function admin(sts: TestSts, log?: { at: string; res: InjectResult }[]) {
  return async (method: InjectOptions['method'], url: string, body?: unknown) => {
    const res = await sts.inject({
      method,
      url,
      headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    log?.push({ at: `${method} ${url}`, res });
    return res;
  };
}

describe('admin API: profiles, consumers and clients', () => {
  let sts: TestSts;
  let idp: LocalIdp;
  let call: ReturnType<typeof admin>;
  const responses: { at: string; res: InjectResult }[] = [];
  /** The answers allowed to show a client secret once; checked on their own. */
  const secretAnswers = new Set<InjectResult>();
  const auditLines: string[] = [];

  before(async () => {
    idp = await startIdp('RS256');
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        profiles: [
          { name: 'from-file', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true },
        ],
        consumers: [
          { username: 'filed', jwt_secrets: [{ key: 'filed-key', secret: 'x'.repeat(32) }] },
        ],
        clients: [{ client_id: 'filed', client_secret: 'filed-secret', profile: 'from-file' }],
      },
    });
    call = admin(sts, responses);
    mock.method(sts.app.get(AuditLog), 'write', (entry: AuditEntry) =>
      auditLines.push(JSON.stringify(entry)),
    );
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const verify = (profile: string, token: string) =>
    sts.inject({
      method: 'POST',
      url: `/verify/${profile}`,
      headers: { authorization: `Bearer ${token}` },
    });

  it('creates, reads, replaces and deletes profiles; each change serves the next request', async () => {
    const token = await idp.sign({ sub: 'alice', scope: 'read', exp: now() + 300 });
    assert.equal((await verify('api', token)).statusCode, 404);

    const profile = {
      name: 'api',
      access_token_jwks_uri: idp.jwksUri,
      access_token_introspection_endpoint: idp.introspectionUri,
      access_token_introspection_authorization: INTROSPECTION_AUTH,
      channel_token_optional: true,
    };
    const created = await call('POST', '/admin/profiles', profile);
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json(), {
      ...profile,
      access_token_introspection_authorization: '[REDACTED]',
      managed_by: 'api',
    });
    assert.equal((await verify('api', token)).statusCode, 200);
    assert.equal((await call('POST', '/admin/profiles', profile)).statusCode, 409);

    // Read back, edited and sent again: the redacted secret keeps its stored value.
    const read = (await call('GET', '/admin/profiles/api')).json<Record<string, unknown>>();
    const replaced = await call('PUT', '/admin/profiles/api', {
      ...read,
      access_token_scopes_required: ['admin'],
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(
      sts.app.get(ProfileService).parameters('api')?.access_token_introspection_authorization,
      INTROSPECTION_AUTH,
    );
    const forbidden = await verify('api', token);
    assert.equal(forbidden.statusCode, 403, 'the new scope requirement applies at once');

    const bad = await call('PUT', '/admin/profiles/api', {
      access_token_jwks_uri: idp.jwksUri,
      channel_token_optional: true,
      access_token_made_up: true,
    });
    assert.equal(bad.statusCode, 400);
    assert.match(
      bad.json<{ error_description: string }>().error_description,
      /access_token_made_up/,
    );
    assert.equal((await verify('api', token)).statusCode, 403, 'a refused change changes nothing');
    for (const body of [[], 'api', null]) {
      const res = await call('POST', '/admin/profiles', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
    }
    assert.equal(
      (await call('PUT', '/admin/profiles/api', { ...profile, name: 'other' })).statusCode,
      400,
    );

    const put = await call('PUT', '/admin/profiles/second', {
      access_token_jwks_uri: idp.jwksUri,
      channel_token_optional: true,
    });
    assert.equal(put.statusCode, 201, put.body);
    const page = (await call('GET', '/admin/profiles?limit=2')).json<Page<{ name: string }>>();
    assert.deepEqual(
      page.data.map((p) => p.name),
      ['api', 'from-file'],
    );
    assert.equal(page.total, 3);
    assert.equal(page.next, '/admin/profiles?offset=2&limit=2');

    assert.equal((await call('DELETE', '/admin/profiles/second')).statusCode, 204);
    assert.equal((await call('GET', '/admin/profiles/second')).statusCode, 404);
    assert.equal((await verify('second', token)).statusCode, 404);
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await call(
        method,
        '/admin/profiles/from-file',
        method === 'PUT' ? {} : undefined,
      );
      assert.equal(res.statusCode, 409, `${method}: ${res.body}`);
    }
    assert.equal((await call('GET', '/admin/profiles/from-file')).json().managed_by, 'file');
  });

  it('manages consumers and their JWT credentials in Kong shape; tokens follow each change', async () => {
    const kong = await call('POST', '/admin/profiles', {
      name: 'kong-jwt',
      credentials: { anonymous: 'guest' },
      channel_token_optional: true,
    });
    assert.equal(kong.statusCode, 400, 'the anonymous consumer must exist');
    const guest = await call('POST', '/admin/consumers', { username: 'guest' });
    assert.equal(guest.statusCode, 201, guest.body);
    assert.equal(
      (
        await call('POST', '/admin/profiles', {
          name: 'kong-jwt',
          credentials: { anonymous: 'guest' },
          channel_token_optional: true,
        })
      ).statusCode,
      201,
    );

    const created = await call('POST', '/admin/consumers', { username: 'dave', custom_id: 'D-1' });
    assert.equal(created.statusCode, 201, created.body);
    const dave = created.json<{ id: string; username: string; custom_id: string }>();
    assert.deepEqual(dave, { id: dave.id, username: 'dave', custom_id: 'D-1', managed_by: 'api' });
    assert.equal((await call('POST', '/admin/consumers', { username: 'dave' })).statusCode, 409);
    assert.equal((await call('POST', '/admin/consumers', {})).statusCode, 400);
    assert.deepEqual((await call('GET', `/admin/consumers/${dave.id}`)).json(), created.json());

    const credential = await call('POST', '/admin/consumers/dave/jwt', {
      key: 'dave-key',
      algorithm: 'HS256',
      secret: HS_SECRET,
    });
    assert.equal(credential.statusCode, 201, credential.body);
    const view = credential.json<{ id: string }>();
    assert.deepEqual(view, {
      id: view.id,
      key: 'dave-key',
      algorithm: 'HS256',
      rsa_public_key: null,
      consumer: { id: dave.id },
      managed_by: 'api',
    });
    assert.equal(
      (await call('POST', '/admin/consumers/guest/jwt', { key: 'dave-key', secret: 's' }))
        .statusCode,
      409,
      'a key is unique across consumers',
    );
    assert.equal(
      (await call('POST', '/admin/consumers/dave/jwt', { algorithm: 'HS256' })).statusCode,
      400,
      'HS256 needs a secret',
    );
    const { publicKey } = await generateKeyPair('ES256');
    const generated = await call('POST', '/admin/consumers/dave/jwt', {
      algorithm: 'ES256',
      rsa_public_key: await exportSPKI(publicKey),
    });
    assert.equal(generated.statusCode, 201, generated.body);
    assert.match(
      generated.json<{ key: string }>().key,
      /^[0-9a-f]{32}$/,
      'Kong generates a key when none is given',
    );

    const first = await hs({ iss: 'dave-key' }, HS_SECRET);
    let res = await verify('kong-jwt', first);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().consumer.username, 'dave');

    const list = (await call('GET', '/admin/consumers/dave/jwt')).json<Page<{ key: string }>>();
    assert.equal(list.total, 2);
    assert.deepEqual(
      (await call('GET', `/admin/consumers/dave/jwt/${view.id}`)).json(),
      (await call('GET', '/admin/consumers/dave/jwt/dave-key')).json(),
    );
    assert.equal((await call('GET', '/admin/consumers/guest/jwt/dave-key')).statusCode, 404);

    // A new secret: tokens signed with the old one fail from the next request.
    const patched = await call('PATCH', '/admin/consumers/dave/jwt/dave-key', {
      secret: HS_SECRET_2,
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await verify('kong-jwt', first)).json().consumer?.anonymous, true);
    res = await verify('kong-jwt', await hs({ iss: 'dave-key' }, HS_SECRET_2));
    assert.equal(res.json().consumer.username, 'dave');

    const renamed = await call('PATCH', '/admin/consumers/dave', { username: 'david' });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal(renamed.json().custom_id, 'D-1', 'absent members stay');
    res = await verify('kong-jwt', await hs({ iss: 'dave-key' }, HS_SECRET_2));
    assert.equal(res.json().consumer.username, 'david');

    assert.equal((await call('DELETE', '/admin/consumers/david/jwt/dave-key')).statusCode, 204);
    res = await verify('kong-jwt', await hs({ iss: 'dave-key' }, HS_SECRET_2));
    assert.equal(res.json().consumer.anonymous, true, 'the deleted credential no longer matches');

    assert.equal((await call('DELETE', '/admin/consumers/guest')).statusCode, 409);
    assert.equal((await call('DELETE', '/admin/consumers/david')).statusCode, 204);
    assert.equal((await call('GET', '/admin/consumers/david')).statusCode, 404);
    assert.equal((await call('GET', `/admin/consumers/${dave.id}/jwt`)).statusCode, 404);

    assert.equal(
      (await call('PATCH', '/admin/consumers/filed', { custom_id: 'x' })).statusCode,
      409,
    );
    assert.equal((await call('DELETE', '/admin/consumers/filed/jwt/filed-key')).statusCode, 409);
    const page = (await call('GET', '/admin/consumers')).json<Page<{ username: string }>>();
    assert.deepEqual(
      page.data.map((c) => c.username),
      ['filed', 'guest'],
    );
  });

  it('refuses a private key as rsa_public_key (400, nothing stored); takes PKCS#1 RSA public keys', async () => {
    assert.equal((await call('POST', '/admin/consumers', { username: 'frank' })).statusCode, 201);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const refused = await call('POST', '/admin/consumers/frank/jwt', {
      key: 'frank-key',
      algorithm: 'RS256',
      rsa_public_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(
      refused.json().error_description,
      'rsa_public_key must be a public key, not a private key',
    );
    assert.equal(refused.body.includes('PRIVATE KEY'), false);
    assert.equal((await call('GET', '/admin/consumers/frank/jwt')).json().total, 0);

    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' });
    const created = await call('POST', '/admin/consumers/frank/jwt', {
      key: 'frank-key',
      algorithm: 'RS256',
      rsa_public_key: pkcs1,
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().rsa_public_key, pkcs1, 'shown as given');
    const token = await new CompactSign(
      encoder.encode(JSON.stringify({ iss: 'frank-key', exp: now() + 300 })),
    )
      .setProtectedHeader({ alg: 'RS256' })
      .sign(privateKey);
    const res = await verify('kong-jwt', token);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().consumer.username, 'frank');
    assert.equal((await call('DELETE', '/admin/consumers/frank')).statusCode, 204);
  });

  it('creates clients with a secret shown once; RFC 8693 follows every change', async () => {
    await call('PUT', '/admin/profiles/subjects', {
      access_token_jwks_uri: idp.jwksUri,
      channel_token_optional: true,
    });
    const exchange = async (id: string, secret: string, extra: Record<string, string> = {}) =>
      sts.inject({
        method: 'POST',
        url: '/exchange',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
        },
        payload: new URLSearchParams({
          grant_type: GRANT,
          subject_token: await idp.sign({ sub: 'alice', scope: 'read write', exp: now() + 300 }),
          subject_token_type: ACCESS_TOKEN,
          ...extra,
        }).toString(),
      });

    assert.equal(
      (await call('POST', '/admin/clients', { profile: 'no-such' })).statusCode,
      400,
      'the profile must exist',
    );
    const created = await call('POST', '/admin/clients', {
      client_id: 'orders',
      profile: 'subjects',
      audiences: ['https://orders.example.com'],
      scopes: ['read'],
    });
    assert.equal(created.statusCode, 201, created.body);
    secretAnswers.add(created);
    const { client_secret: secret, ...view } = created.json<Record<string, unknown>>();
    assert.match(String(secret), /^[\w-]{43}$/);
    assert.deepEqual(view, {
      client_id: 'orders',
      profile: 'subjects',
      audiences: ['https://orders.example.com'],
      scopes: ['read'],
      managed_by: 'api',
    });
    assert.equal(
      (await call('POST', '/admin/clients', view)).statusCode,
      400,
      'managed_by is not input',
    );
    assert.equal(
      (await call('POST', '/admin/clients', { client_id: 'orders', profile: 'subjects' }))
        .statusCode,
      409,
    );
    assert.deepEqual((await call('GET', '/admin/clients/orders')).json(), view);

    let res = await exchange('orders', String(secret), { scope: 'read' });
    assert.equal(res.statusCode, 200, res.body);
    res = await exchange('orders', String(secret), { scope: 'write' });
    assert.equal(res.json().error, 'invalid_scope');
    const patched = await call('PATCH', '/admin/clients/orders', { scopes: ['read', 'write'] });
    assert.deepEqual(patched.json().audiences, ['https://orders.example.com'], 'absent stays');
    res = await exchange('orders', String(secret), { scope: 'write' });
    assert.equal(res.statusCode, 200, res.body);

    const reset = await call('POST', '/admin/clients/orders/secret');
    assert.equal(reset.statusCode, 200, reset.body);
    secretAnswers.add(reset);
    const newSecret = reset.json<{ client_secret: string }>().client_secret;
    assert.notEqual(newSecret, secret);
    assert.equal((await exchange('orders', String(secret))).json().error, 'invalid_client');
    assert.equal((await exchange('orders', newSecret)).statusCode, 200);

    const given = await call('POST', '/admin/clients', {
      profile: 'subjects',
      client_secret: 'a-secret-the-operator-chose',
    });
    assert.equal(given.statusCode, 201, given.body);
    secretAnswers.add(given);
    const generatedId = given.json<{ client_id: string }>().client_id;
    assert.match(generatedId, /^[0-9a-f-]{36}$/);
    assert.equal((await exchange(generatedId, 'a-secret-the-operator-chose')).statusCode, 200);

    assert.equal((await call('DELETE', '/admin/clients/orders')).statusCode, 204);
    assert.equal((await exchange('orders', newSecret)).json().error, 'invalid_client');
    assert.equal((await call('GET', '/admin/clients/orders')).statusCode, 404);
    assert.equal((await call('DELETE', '/admin/clients/filed')).statusCode, 409);
    assert.equal((await call('POST', '/admin/clients/filed/secret')).statusCode, 409);
    const list = (await call('GET', '/admin/clients')).json<Page<{ client_id: string }>>();
    assert.deepEqual(
      list.data.map((c) => c.client_id),
      [generatedId, 'filed'].sort(),
    );
  });

  it('never shows a secret, password or private member in any answer but the one-time client secret', async () => {
    await call('GET', '/admin/config');
    await call('GET', '/admin/config?format=yaml');
    await call('GET', '/admin/consumers/filed/jwt');
    assert.ok(responses.length > 50);
    for (const { at, res } of responses) {
      for (const secret of [
        INTROSPECTION_AUTH,
        HS_SECRET,
        HS_SECRET_2,
        'filed-secret',
        'x'.repeat(32),
      ])
        assert.equal(res.body.includes(secret), false, `${at} shows a secret`);
      if (secretAnswers.has(res) || res.statusCode === 204 || at.includes('yaml')) continue;
      assert.deepEqual(leakedMembers(res.json()), [], at);
    }
    for (const res of secretAnswers)
      assert.deepEqual(leakedMembers(res.json()), ['$.client_secret']);
  });

  it('writes an audit line for every change of these resources, failures included, without secrets', () => {
    const seen = new Set(
      auditLines.map((line) => {
        const entry = JSON.parse(line) as AuditEntry;
        return `${entry.action} ${entry.resource} ${entry.result}`;
      }),
    );
    for (const expected of [
      'create profile success',
      'create profile failure',
      'update profile success',
      'update profile failure',
      'delete profile success',
      'create consumer success',
      'update consumer success',
      'delete consumer success',
      'delete consumer failure',
      'create jwt_credential success',
      'update jwt_credential success',
      'delete jwt_credential success',
      'create client success',
      'update client success',
      'update client_secret success',
      'delete client success',
    ])
      assert.ok(seen.has(expected), `no audit line "${expected}"`);
    const secrets = [INTROSPECTION_AUTH, HS_SECRET, HS_SECRET_2, 'a-secret-the-operator-chose'];
    for (const res of secretAnswers)
      secrets.push(res.json<{ client_secret: string }>().client_secret);
    for (const line of auditLines)
      for (const secret of secrets) assert.equal(line.includes(secret), false, line);
  });
});

describe('profiles, consumers and clients across restarts and the export', () => {
  let idp: LocalIdp;
  before(async () => {
    idp = await startIdp('RS256');
  });
  after(() => idp.close());

  it('keeps what the admin API created across a restart', async () => {
    const sts = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
    const call = admin(sts);
    await call('POST', '/admin/profiles', {
      name: 'kept',
      access_token_jwks_uri: idp.jwksUri,
      access_token_introspection_endpoint: idp.introspectionUri,
      access_token_introspection_authorization: INTROSPECTION_AUTH,
      channel_token_optional: true,
    });
    await call('POST', '/admin/profiles', {
      name: 'kong',
      credentials: {},
      channel_token_optional: true,
    });
    await call('POST', '/admin/consumers', { username: 'erin' });
    await call('POST', '/admin/consumers/erin/jwt', { key: 'erin-key', secret: HS_SECRET });
    const client = (
      await call('POST', '/admin/clients', { client_id: 'kept', profile: 'kept' })
    ).json<{ client_secret: string }>();
    const before = (await call('GET', '/admin/config')).body;
    await sts.close();

    const again = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN }, dataDir: sts.dataDir });
    assert.equal((await admin(again)('GET', '/admin/config')).body, before);
    assert.equal(
      again.app.get(ProfileService).parameters('kept')?.access_token_introspection_authorization,
      INTROSPECTION_AUTH,
    );
    const res = await again.inject({
      method: 'POST',
      url: '/verify/kong',
      headers: { authorization: `Bearer ${await hs({ iss: 'erin-key' }, HS_SECRET)}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().consumer.username, 'erin');
    const exchanged = await again.inject({
      method: 'POST',
      url: '/exchange',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: GRANT,
        client_id: 'kept',
        client_secret: client.client_secret,
        subject_token: await idp.sign({ sub: 'alice', exp: now() + 300 }),
        subject_token_type: ACCESS_TOKEN,
      }).toString(),
    });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    await again.cleanup();
  });

  it('export → fill in the secrets → import → export gives identical output', async () => {
    const { publicKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        profiles: [
          {
            name: 'zulu',
            access_token_jwks_uri: idp.jwksUri,
            access_token_jwks_uri_client_password: 'jwks-password',
            access_token_jwks_uri_client_username: 'sts',
            channel_token_optional: true,
          },
        ],
        consumers: [
          {
            username: 'frank',
            jwt_secrets: [{ key: 'frank-rs', algorithm: 'RS256', rsa_public_key: pem }],
          },
        ],
      },
    });
    const call = admin(sts);
    await call('POST', '/admin/profiles', {
      name: 'alpha',
      access_token_jwks_uri: idp.jwksUri,
      access_token_introspection_endpoint: idp.introspectionUri,
      access_token_introspection_authorization: INTROSPECTION_AUTH,
      set_claims: { tenant: 'a' },
      channel_token_optional: true,
    });
    await call('POST', '/admin/consumers', { custom_id: 'G-7' });
    const grace = (await call('GET', '/admin/consumers')).json<
      Page<{ id: string; custom_id: string }>
    >();
    const graceId = grace.data.find((c) => c.custom_id === 'G-7')!.id;
    await call('POST', `/admin/consumers/${graceId}/jwt`, { key: 'g-key', secret: HS_SECRET });
    await call('POST', '/admin/clients', {
      client_id: 'exported',
      profile: 'alpha',
      audiences: ['https://a.example.com'],
      scopes: ['read'],
    });
    const first = await call('GET', '/admin/config');
    const firstYaml = (await call('GET', '/admin/config?format=yaml')).body;
    await sts.cleanup();

    const exported = first.json<ExportedConfig>();
    assert.deepEqual(parseYaml(firstYaml), exported);
    assert.deepEqual(
      exported.profiles.map((p) => p.name),
      ['alpha', 'zulu'],
    );
    assert.equal(exported.profiles[0]!.access_token_introspection_authorization, '[REDACTED]');
    assert.equal(exported.profiles[1]!.access_token_jwks_uri_client_password, '[REDACTED]');
    assert.deepEqual(exported.consumers, [
      {
        id: exported.consumers[0]!.id,
        username: 'frank',
        jwt_secrets: [{ key: 'frank-rs', algorithm: 'RS256', rsa_public_key: pem }],
      },
      {
        id: graceId,
        custom_id: 'G-7',
        jwt_secrets: [{ key: 'g-key', algorithm: 'HS256', secret: '[REDACTED]' }],
      },
    ]);
    assert.deepEqual(exported.clients, [
      {
        client_id: 'exported',
        client_secret: '[REDACTED]',
        profile: 'alpha',
        audiences: ['https://a.example.com'],
        scopes: ['read'],
      },
    ]);

    // The export as it stands is refused, every placeholder named with its path.
    const dir = tempDir();
    const file = join(dir, 'sts.config.yaml');
    writeFileSync(file, firstYaml);
    await assert.rejects(
      startSts({ env: { STS_ADMIN_TOKEN: TOKEN, STS_CONFIG: file } }),
      (err: Error) => {
        for (const path of [
          'profiles[0].access_token_introspection_authorization',
          'profiles[1].access_token_jwks_uri_client_password',
          'consumers[1].jwt_secrets[0].secret',
          'clients[0].client_secret',
        ])
          assert.ok(err.message.includes(path), `${path} in ${err.message}`);
        return true;
      },
    );

    // The operator puts the secrets back; the result exports to the very same text.
    const secrets = ['its-introspection', 'its-password', 'its-hmac-secret', 'its-client-secret'];
    writeFileSync(
      file,
      firstYaml.replace(/"?\[REDACTED\]"?/g, () => JSON.stringify(secrets.shift())),
    );
    assert.equal(secrets.length, 0);
    const imported = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN, STS_CONFIG: file } });
    const second = await admin(imported)('GET', '/admin/config');
    assert.equal(second.body, first.body, 'identical output');
    assert.equal((await admin(imported)('GET', '/admin/config?format=yaml')).body, firstYaml);
    await imported.cleanup();
  });
});

describe('several instances sharing one database', () => {
  it('apply profiles, consumers and credentials another instance changed, at the next sync', async () => {
    const idp = await startIdp('RS256');
    const a = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
    const b = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN }, dataDir: a.dataDir });
    const call = admin(a);
    // What each instance's 5 s timer does (consumers first, then profiles).
    const syncB = () => b.app.get(ProfileService).sync();
    const verifyOnB = async (profile: string, token: string) =>
      b.inject({
        method: 'POST',
        url: `/verify/${profile}`,
        headers: { authorization: `Bearer ${token}` },
      });
    const idpToken = await idp.sign({ sub: 'alice', scope: 'read', exp: now() + 300 });

    await call('POST', '/admin/profiles', {
      name: 'shared',
      access_token_jwks_uri: idp.jwksUri,
      channel_token_optional: true,
    });
    await call('POST', '/admin/profiles', {
      name: 'kong',
      credentials: {},
      channel_token_optional: true,
    });
    await call('POST', '/admin/consumers', { username: 'gina' });
    await call('POST', '/admin/consumers/gina/jwt', { key: 'gina-key', secret: HS_SECRET });
    // A profile naming a consumer created alongside it: one round brings both.
    await call('POST', '/admin/consumers', { username: 'visitor' });
    await call('POST', '/admin/profiles', {
      name: 'kong-anon',
      credentials: { anonymous: 'visitor' },
      channel_token_optional: true,
    });
    const ginaToken = await hs({ iss: 'gina-key' }, HS_SECRET);
    assert.equal((await verifyOnB('shared', idpToken)).statusCode, 404, 'not synced yet');

    await syncB();
    assert.equal((await verifyOnB('shared', idpToken)).statusCode, 200);
    const anonymous = await b.inject({ method: 'POST', url: '/verify/kong-anon' });
    assert.equal(anonymous.statusCode, 200, anonymous.body);
    assert.equal(anonymous.json<{ consumer: { username: string } }>().consumer.username, 'visitor');
    const res = await verifyOnB('kong', ginaToken);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ consumer: { username: string } }>().consumer.username, 'gina');

    await call('PUT', '/admin/profiles/shared', {
      access_token_jwks_uri: idp.jwksUri,
      access_token_scopes_required: ['admin'],
      channel_token_optional: true,
    });
    await call('PATCH', '/admin/consumers/gina/jwt/gina-key', { secret: HS_SECRET_2 });
    await syncB();
    assert.equal((await verifyOnB('shared', idpToken)).statusCode, 403);
    assert.equal((await verifyOnB('kong', ginaToken)).statusCode, 401, 'the old secret is gone');

    await call('DELETE', '/admin/profiles/shared');
    await call('DELETE', '/admin/consumers/gina');
    await syncB();
    assert.equal((await verifyOnB('shared', idpToken)).statusCode, 404);
    assert.equal(
      (await verifyOnB('kong', await hs({ iss: 'gina-key' }, HS_SECRET_2))).statusCode,
      401,
    );
    await b.close();
    await a.cleanup();
    await idp.close();
  });
});
