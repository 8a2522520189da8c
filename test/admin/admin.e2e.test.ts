import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { parse as parseYaml } from 'yaml';
import type { ExportedConfig } from '../../src/admin/config-export.service';
import type { KeysetView } from '../../src/admin/keysets.dto';
import type { Page } from '../../src/admin/pagination';
import { ADMIN_PREFIXES } from '../../src/admin/admin-controller.decorator';
import { AuditLog } from '../../src/logging/audit-log';
import type { ErrorBody } from '../../src/common/errors';
import { generateSigningKey } from '../../src/keys/key-generator';
import { KrakendSignerService } from '../../src/signing/krakend-signer.service';
import {
  sendJson,
  startLocalServer,
  startSts,
  tempDir,
  type InjectOptions,
  type InjectResult,
  type LocalServer,
  type TestSts,
} from '../helpers';

const TOKEN = 'admin-token-for-tests';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']);

/** Every admin route of the OpenAPI document (Kong's aliases too), with path parameters filled in. */
async function adminRoutes(sts: TestSts): Promise<{ method: string; url: string }[]> {
  const doc = (await sts.inject({ url: '/docs/json' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  return Object.entries(doc.paths)
    .filter(([path]) => ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix)))
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        url: path.replace(/\{[^}]+\}/g, 'default'),
      })),
    );
}

/** Member names anywhere in a JSON value that are private key members or look like secrets. */
function leakedMembers(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leakedMembers(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(PRIVATE_MEMBERS.has(key) || /secret/i.test(key) ? [`${path}.${key}`] : []),
    ...leakedMembers(child, `${path}.${key}`),
  ]);
}

describe('admin API access', () => {
  it('answers 404 on every admin route when STS_ADMIN_TOKEN is unset', async () => {
    const sts = await startSts();
    const routes = await adminRoutes(sts);
    assert.ok(routes.length >= 10, `expected the admin routes, got ${routes.length}`);
    for (const route of routes) {
      const res = await sts.inject({ ...route, headers: AUTH } as InjectOptions);
      assert.equal(res.statusCode, 404, `${route.method} ${route.url}`);
      assert.equal(res.json().code, 'ERR_NOT_FOUND');
    }
    await sts.cleanup();
  });

  it('answers 401 with a Bearer challenge without a token or with a wrong one, on every route', async () => {
    const sts = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
    for (const route of await adminRoutes(sts)) {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TOKEN}x` },
        // Same length, last character differs: only a comparison of the content refuses it.
        { authorization: `Bearer ${TOKEN.slice(0, -1)}X` },
        { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      ]) {
        const res = await sts.inject({ ...route, headers } as InjectOptions);
        const at = `${route.method} ${route.url} ${JSON.stringify(headers)}`;
        assert.equal(res.statusCode, 401, at);
        assert.match(String(res.headers['www-authenticate']), /^Bearer realm="sts-admin"/, at);
        assert.equal(res.json().code, 'ERR_UNAUTHORIZED', at);
      }
    }
    const ok = await sts.inject({
      url: '/admin/keysets',
      headers: { authorization: `bearer ${TOKEN}` },
    });
    assert.equal(ok.statusCode, 200, 'the scheme is case-insensitive');
    await sts.cleanup();
  });
});

describe('admin API resources', () => {
  let sts: TestSts;
  let keyServer: LocalServer;
  const responses: { at: string; res: InjectResult }[] = [];
  const hmacKey = {
    kty: 'oct',
    kid: 'shared',
    alg: 'HS256',
    k: Buffer.alloc(32, 9).toString('base64url'),
  };
  const auditLines: Record<string, unknown>[] = [];

  const admin = async (
    method: InjectOptions['method'],
    url: string,
    payload?: object,
  ): Promise<InjectResult> => {
    const res = await sts.inject({
      method,
      url,
      headers: payload ? JSON_AUTH : AUTH,
      payload: payload ? JSON.stringify(payload) : undefined,
    });
    responses.push({ at: `${method} ${url}`, res });
    return res;
  };
  const sign = (signer: string) =>
    sts.inject({
      method: 'POST',
      url: `/token/${signer}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ access_token: { sub: 'alice' } }),
    });

  before(async () => {
    const rsa = await generateSigningKey('RS256');
    keyServer = await startLocalServer((_req, res) =>
      sendJson(res, 200, { keys: [hmacKey, rsa.privateJwk] }),
    );
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        keysets: [
          { name: 'file-edge', algorithm: 'ES256', rotation: { period: '30d' } },
          {
            name: 'remote',
            algorithm: 'RS256',
            jwks_url: `${keyServer.url}/private.json`,
            refresh: '15m',
          },
        ],
        signers: [{ name: 'file-signer', keyset: 'file-edge', 'keys-to-sign': ['access_token'] }],
      },
    });
    const audit = sts.app.get(AuditLog);
    mock.method(
      (audit as unknown as { logger: { log: (line: string) => void } }).logger,
      'log',
      (line: string) => auditLines.push(JSON.parse(line) as Record<string, unknown>),
    );
  });
  after(async () => {
    await sts.cleanup();
    await keyServer.close();
  });

  it('creates, reads, updates, rotates and deletes keysets', async () => {
    let res = await admin('POST', '/admin/keysets', {
      name: 'api-rsa',
      algorithm: 'PS256',
      rsa_bits: 3072,
      rotation: { period: '7d', prepublish: '2h', retain: 2 },
    });
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json<KeysetView>();
    assert.equal(created.managed_by, 'api');
    assert.deepEqual(created.rotation, {
      period: '7d',
      prepublish: '2h',
      retain: 2,
      max_token_lifetime: '1h',
    });
    assert.equal(created.keys.length, 1);
    assert.equal(created.keys[0]!.status, 'current');
    assert.equal(Buffer.from(created.keys[0]!.jwk!.n!, 'base64url').length * 8, 3072);
    assert.equal(
      Date.parse(created.next_rotation_at!) - Date.parse(created.keys[0]!.active_from!),
      7 * 86400 * 1000,
    );

    res = await admin('POST', '/admin/keysets', { name: 'api-hs', algorithm: 'HS512' });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().keys[0].jwk, undefined, 'HMAC keys have no public part to show');

    assert.equal(
      (await admin('POST', '/admin/keysets', { name: 'api-hs', algorithm: 'HS512' })).statusCode,
      409,
    );
    assert.equal((await admin('GET', '/admin/keysets/api-rsa')).json().name, 'api-rsa');
    assert.equal((await admin('GET', '/admin/keysets/nope')).statusCode, 404);

    res = await admin('PATCH', '/admin/keysets/api-rsa', { rotation: { retain: 4, period: null } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().rotation, {
      prepublish: '2h',
      retain: 4,
      max_token_lifetime: '1h',
    });
    assert.equal(res.json().next_rotation_at, null);
    res = await admin('PATCH', '/admin/keysets/api-rsa', { algorithm: 'RS256' });
    assert.equal(res.statusCode, 400, 'the algorithm never changes');
    assert.match(res.json<ErrorBody>().error_description, /algorithm: should not exist/);
    res = await admin('PATCH', '/admin/keysets/api-rsa', {
      rotation: { period: '1h', prepublish: '1h' },
    });
    assert.equal(res.statusCode, 400);
    assert.match(
      res.json<ErrorBody>().error_description,
      /rotation\.prepublish: prepublish must be shorter/,
    );

    res = await admin('POST', '/admin/keysets/api-rsa/rotate?prepublish=1h');
    assert.equal(res.statusCode, 200, res.body);
    const statuses = res.json<KeysetView>().keys.map((k) => k.status);
    assert.deepEqual(statuses, ['current', 'next']);
    const jwks = (await sts.inject({ url: '/jwks/api-rsa' })).json<{ keys: JWK[] }>();
    assert.equal(jwks.keys.length, 2, 'the next key is in the JWKS already');
    res = await admin('POST', '/admin/keysets/api-rsa/rotate');
    assert.deepEqual(
      res.json<KeysetView>().keys.map((k) => k.status),
      ['current', 'previous'],
    );
    assert.equal(
      res.json().keys[0].kid,
      jwks.keys[1]!.kid,
      'an immediate rotation promotes the pending key',
    );
    assert.equal(
      (await admin('POST', '/admin/keysets/api-rsa/rotate?prepublish=soon')).statusCode,
      400,
    );
    assert.equal((await admin('POST', '/admin/keysets/remote/rotate')).statusCode, 400);

    assert.equal((await admin('DELETE', '/admin/keysets/api-hs')).statusCode, 204);
    assert.equal((await admin('GET', '/admin/keysets/api-hs')).statusCode, 404);
    assert.deepEqual((await sts.inject({ url: '/jwks/api-hs' })).statusCode, 404);
  });

  it('refuses changes to file-declared entities, deleting default, and deleting a keyset in use', async () => {
    for (const [method, url, body] of [
      ['PATCH', '/admin/keysets/file-edge', { rotation: { retain: 2 } }],
      ['DELETE', '/admin/keysets/file-edge', undefined],
      ['POST', '/admin/keysets', { name: 'file-edge', algorithm: 'ES256' }],
      ['PUT', '/admin/signers/file-signer', { 'keys-to-sign': ['x'] }],
      ['DELETE', '/admin/signers/file-signer', undefined],
    ] as const) {
      const res = await admin(method, url, body);
      assert.equal(res.statusCode, 409, `${method} ${url}`);
      assert.match(res.json<ErrorBody>().error_description, /declared in the configuration file/);
    }
    const rotated = await admin('POST', '/admin/keysets/file-edge/rotate');
    assert.equal(rotated.statusCode, 200, 'rotating a file keyset is allowed');
    assert.equal(rotated.json().managed_by, 'file');

    assert.match(
      (await admin('DELETE', '/admin/keysets/default')).json<ErrorBody>().error_description,
      /cannot be deleted/,
    );
    await admin('POST', '/admin/keysets', { name: 'used', algorithm: 'ES384' });
    await admin('POST', '/admin/signers', { name: 'uses', keyset: 'used', 'keys-to-sign': ['a'] });
    const res = await admin('DELETE', '/admin/keysets/used');
    assert.equal(res.statusCode, 409);
    assert.match(res.json<ErrorBody>().error_description, /used by signer "uses"/);
    assert.equal(
      (await admin('POST', '/admin/keysets', { name: 'ext', jwks_url: keyServer.url })).statusCode,
      400,
    );
  });

  it('creates, replaces and deletes signers; each change serves the next request', async () => {
    assert.equal((await sign('late')).statusCode, 404);
    let res = await admin('POST', '/admin/signers', {
      name: 'late',
      keyset: 'late-keys',
      alg: 'ES256',
      'keys-to-sign': ['access_token'],
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json(), {
      name: 'late',
      alg: 'ES256',
      'keys-to-sign': ['access_token'],
      keyset: 'late-keys',
      managed_by: 'api',
    });
    res = await sign('late');
    assert.equal(res.statusCode, 200, 'no restart needed');
    const kid = decodeProtectedHeader(res.json<{ access_token: string }>().access_token).kid;
    assert.equal(
      kid,
      (await admin('GET', '/admin/keysets/late-keys')).json().keys[0].kid,
      'its keyset was created on first use',
    );

    res = await admin('PUT', '/admin/signers/late', {
      'jwk-url': `${keyServer.url}/private.json`,
      alg: 'HS256',
      kid: 'shared',
      'keys-to-sign': ['access_token'],
      full: true,
    });
    assert.equal(res.statusCode, 200, res.body);
    res = await sign('late');
    const full = JSON.parse(res.json<{ access_token: string }>().access_token) as {
      protected: string;
    };
    const header = JSON.parse(Buffer.from(full.protected, 'base64url').toString()) as {
      kid: string;
    };
    assert.equal(header.kid, 'shared');

    res = await admin('PUT', '/admin/signers/brand-new', { 'keys-to-sign': ['access_token'] });
    assert.equal(res.statusCode, 201);
    assert.equal((await sign('brand-new')).statusCode, 200, 'no keyset: default signs');

    for (const body of [
      { 'keys-to-sign': [] },
      { 'keys-to-sign': ['a'], keyset: 'x', 'jwk-url': keyServer.url },
      {
        'keys-to-sign': ['a'],
        'jwk-url': `${keyServer.url}/private.json`,
        alg: 'HS256',
        kid: 'missing',
      },
      { 'keys-to-sign': ['a'], keyset: 'default', alg: 'ES256' },
      { 'keys-to-sign': ['a'], backend: 'http://backend.example.com/token' },
      { 'keys-to-sign': ['a'], name: 'other' },
      { 'keys-to-sign': ['a'], colour: 'blue' },
    ]) {
      res = await admin('PUT', '/admin/signers/bad', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().code, 'ERR_INVALID_REQUEST');
    }
    assert.equal((await admin('GET', '/admin/signers/bad')).statusCode, 404, 'nothing stored');

    assert.equal((await admin('DELETE', '/admin/signers/late')).statusCode, 204);
    assert.equal((await sign('late')).statusCode, 404);
    assert.equal((await admin('DELETE', '/admin/signers/late')).statusCode, 404);
  });

  it('refuses reserved member names in bodies (they were skipped unseen, a profile stored them)', async () => {
    const bodies: [string, object][] = [
      ['/admin/consumers', { username: 'reserved', constructor: 1 }],
      [
        '/admin/profiles',
        { name: 'reserved', access_token_jwks_uri: 'https://idp.example.com/jwks', toString: 1 },
      ],
      ['/admin/keysets', { name: 'reserved', algorithm: 'ES256', rotation: { valueOf: 1 } }],
    ];
    for (const [url, body] of bodies) {
      const res = await admin('POST', url, body);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.json<ErrorBody>().error_description, /^[\w.]+: is a reserved name$/);
    }
    const exchange = await sts.inject({
      method: 'POST',
      url: '/exchange/any',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ request: { constructor: 1 } }),
    });
    assert.equal(exchange.statusCode, 400, exchange.body);
    assert.equal(
      exchange.json<ErrorBody>().error_description,
      'request.constructor: is a reserved name',
    );
  });

  it('pages lists by name with offset and limit', async () => {
    const all = (await admin('GET', '/admin/keysets')).json<Page<KeysetView>>();
    assert.ok(all.total >= 4);
    assert.deepEqual(
      all.data.map((k) => k.name),
      all.data.map((k) => k.name).sort(),
    );
    assert.equal(
      all.data.some((k) => k.name.startsWith('signer:')),
      false,
    );
    const page = (await admin('GET', '/admin/keysets?offset=1&limit=2')).json<Page<KeysetView>>();
    assert.deepEqual(page.data, all.data.slice(1, 3));
    assert.equal(page.next, `/admin/keysets?offset=3&limit=2`);
    const last = (await admin('GET', `/admin/keysets?offset=${all.total - 1}&limit=2`)).json<
      Page<KeysetView>
    >();
    assert.equal(last.next, null);
    for (const bad of ['limit=0', 'limit=5000', 'offset=-1', 'offset=x', 'sort=name']) {
      const res = await admin('GET', `/admin/keysets?${bad}`);
      assert.equal(res.statusCode, 400, bad);
    }
    const signers = (await admin('GET', '/admin/signers?limit=1')).json();
    assert.equal(signers.data.length, 1);
    assert.ok(signers.total >= 2);
  });

  it('writes one audit line per change, with names and outcomes but no secrets', () => {
    const created = auditLines.find((l) => l.action === 'create' && l.name === 'api-rsa');
    assert.deepEqual(
      { ...created, time: undefined },
      {
        audit: true,
        time: undefined,
        actor: 'admin',
        action: 'create',
        resource: 'keyset',
        name: 'api-rsa',
        result: 'success',
      },
    );
    assert.ok(
      auditLines.some(
        (l) =>
          l.action === 'delete' &&
          l.name === 'file-edge' &&
          l.result === 'failure' &&
          l.code === 'ERR_CONFLICT',
      ),
    );
    assert.ok(auditLines.some((l) => l.action === 'rotate' && l.name === 'api-rsa'));
    assert.ok(
      auditLines.some((l) => l.action === 'update' && l.resource === 'signer' && l.name === 'late'),
    );
    const text = JSON.stringify(auditLines);
    assert.equal(text.includes(hmacKey.k), false);
    assert.equal(text.includes(TOKEN), false);
    assert.equal(
      auditLines.some((l) => l.action === undefined),
      false,
    );
  });

  it('never returns private key members or secrets in any admin response', async () => {
    await admin('GET', '/admin/config');
    await admin('GET', '/admin/signers');
    await admin('GET', '/admin/keysets?limit=1000');
    await admin('GET', '/admin/keysets/remote');
    await admin('POST', '/admin/rekey');
    assert.ok(responses.length > 40);
    for (const { at, res } of responses) {
      assert.equal(res.body.includes(hmacKey.k), false, `${at} shows a jwk-url secret`);
      if (res.statusCode === 204) continue;
      assert.deepEqual(leakedMembers(res.json()), [], at);
    }
    const remote = (await admin('GET', '/admin/keysets/remote')).json<KeysetView>();
    assert.equal(remote.jwks_url, `${keyServer.url}/private.json`);
    assert.deepEqual(
      remote.keys.map((k) => k.alg),
      ['RS256'],
      'only keys of the declared algorithm',
    );
  });
});

describe('admin state across restarts and the configuration export', () => {
  it('keeps keysets and signers created through the API across a restart', async () => {
    const sts = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
    const post = (url: string, body: object) =>
      sts.inject({ method: 'POST', url, headers: JSON_AUTH, payload: JSON.stringify(body) });
    await post('/admin/keysets', {
      name: 'kept',
      algorithm: 'EdDSA',
      rotation: { period: '30d', retain: 2 },
    });
    await post('/admin/signers', {
      name: 'kept',
      keyset: 'kept',
      'keys-to-sign': ['access_token'],
      full: true,
    });
    const before = {
      keyset: (await sts.inject({ url: '/admin/keysets/kept', headers: AUTH })).json(),
      signer: (await sts.inject({ url: '/admin/signers/kept', headers: AUTH })).json(),
      jwks: (await sts.inject({ url: '/jwks' })).body,
    };
    await sts.close();

    const again = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN }, dataDir: sts.dataDir });
    assert.deepEqual(
      (await again.inject({ url: '/admin/keysets/kept', headers: AUTH })).json(),
      before.keyset,
    );
    assert.deepEqual(
      (await again.inject({ url: '/admin/signers/kept', headers: AUTH })).json(),
      before.signer,
    );
    assert.equal((await again.inject({ url: '/jwks' })).body, before.jwks);
    const res = await again.inject({
      method: 'POST',
      url: '/token/kept',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ access_token: { sub: 'a' } }),
    });
    assert.equal(res.statusCode, 200);
    await again.cleanup();
  });

  it('serves 503 for a stored signer whose jwk-url is down at start-up, until it loads again', async () => {
    let up = true;
    const keyServer = await startLocalServer((_req, res) =>
      up
        ? sendJson(res, 200, {
            keys: [
              { kty: 'oct', kid: 'x', alg: 'HS256', k: Buffer.alloc(32, 4).toString('base64url') },
            ],
          })
        : sendJson(res, 503, { error: 'down' }),
    );
    const sts = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
    const created = await sts.inject({
      method: 'POST',
      url: '/admin/signers',
      headers: JSON_AUTH,
      payload: JSON.stringify({
        name: 'remote',
        'jwk-url': `${keyServer.url}/k`,
        alg: 'HS256',
        'keys-to-sign': ['t'],
      }),
    });
    assert.equal(created.statusCode, 201, created.body);
    await sts.close();

    up = false;
    const again = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN }, dataDir: sts.dataDir });
    const sign = () =>
      again.inject({
        method: 'POST',
        url: '/token/remote',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ t: { sub: 'a' } }),
      });
    let res = await sign();
    assert.equal(res.statusCode, 503);
    assert.equal(res.json<ErrorBody>().code, 'ERR_SIGNER_UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '5');
    const view = (await again.inject({ url: '/admin/signers/remote', headers: AUTH })).json<{
      unavailable?: string;
    }>();
    assert.match(view.unavailable!, /answered HTTP 503/);

    up = true;
    await again.app.get(KrakendSignerService).sync(); // what the 5 s timer does
    res = await sign();
    assert.equal(res.statusCode, 200, res.body);
    await again.cleanup();
    await keyServer.close();
  });

  it('export → import → export gives identical output (JSON and YAML)', async () => {
    const keyServer = await startLocalServer((_req, res) =>
      sendJson(res, 200, {
        keys: [
          { kty: 'oct', kid: 'x', alg: 'HS256', k: Buffer.alloc(32, 1).toString('base64url') },
        ],
      }),
    );
    const sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        issuer: 'https://sts.example.com',
        keysets: [
          { name: 'ext', algorithm: 'HS256', jwks_url: `${keyServer.url}/k.json`, refresh: 900 },
          { name: 'zeta', algorithm: 'ES512', rotation: { period: 2592000, prepublish: '120m' } },
        ],
        signers: [
          { backend: `${keyServer.url}/b`, 'keys-to-sign': ['t'], name: 'zz', full: false },
        ],
      },
    });
    const post = (url: string, body: object) =>
      sts.inject({ method: 'POST', url, headers: JSON_AUTH, payload: JSON.stringify(body) });
    await post('/admin/keysets', { name: 'alpha', algorithm: 'RS384', rsa_bits: 3072 });
    await post('/admin/signers', {
      'keys-to-sign': ['access_token', 'refresh_token'],
      name: 'pasted',
      'jwk-url': `${keyServer.url}/k.json`,
      alg: 'HS256',
      disable_jwk_security: false,
      cipher_suites: [49199],
    });
    const first = await sts.inject({ url: '/admin/config', headers: AUTH });
    assert.equal(first.headers['cache-control'], 'no-store');
    const firstYaml = (await sts.inject({ url: '/admin/config?format=yaml', headers: AUTH })).body;
    assert.deepEqual(parseYaml(firstYaml), first.json(), 'YAML and JSON say the same');
    await sts.cleanup();

    const exported = first.json<ExportedConfig>();
    assert.deepEqual(
      exported.keysets.map((k) => k.name),
      ['alpha', 'default', 'ext', 'zeta'],
    );
    assert.deepEqual(exported.keysets[3], {
      name: 'zeta',
      algorithm: 'ES512',
      rotation: { period: '30d', prepublish: '2h', retain: 1, max_token_lifetime: '1h' },
    });
    assert.deepEqual(exported.keysets[2], {
      name: 'ext',
      algorithm: 'HS256',
      jwks_url: `${keyServer.url}/k.json`,
      refresh: '15m',
    });

    // Import: the export becomes the declarative file of a fresh instance (YAML, as operators keep it).
    const dir = tempDir();
    const file = join(dir, 'sts.config.yaml');
    writeFileSync(file, firstYaml);
    const imported = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN, STS_CONFIG: file } });
    const second = await imported.inject({ url: '/admin/config', headers: AUTH });
    assert.equal(second.body, first.body, 'identical output');
    const secondYaml = (await imported.inject({ url: '/admin/config?format=yaml', headers: AUTH }))
      .body;
    assert.equal(secondYaml, firstYaml);
    await imported.cleanup();
    await keyServer.close();
  });
});
