import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JWK } from 'jose';
import type { KongJwks, KongJwksKeys } from '../../src/admin/kong-jwks.dto';
import type { Page } from '../../src/admin/pagination';
import { generateSigningKey } from '../../src/keys/key-generator';
import {
  sendJson,
  startLocalServer,
  startSts,
  type InjectOptions,
  type LocalServer,
  type TestSts,
} from '../helpers';

const TOKEN = 'admin-token-for-tests';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PUBLIC_MEMBERS = new Set(['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y']);

// Kong JWT Signer's key admin paths, so scripts written for Kong's rotation keep working.
describe("Kong's /jwt-signer/jwks admin paths", () => {
  let sts: TestSts;
  let keyServer: LocalServer;

  before(async () => {
    const rsa = await generateSigningKey('RS256');
    keyServer = await startLocalServer((_req, res) =>
      sendJson(res, 200, { keys: [rsa.privateJwk] }),
    );
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        keysets: [
          { name: 'edge', algorithm: 'ES256' },
          { name: 'shared', algorithm: 'HS256' },
          { name: 'remote', algorithm: 'RS256', jwks_url: `${keyServer.url}/private.json` },
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await keyServer.close();
  });

  const kong = (method: InjectOptions['method'], url: string) =>
    sts.inject({ method, url, headers: AUTH });
  const published = async (keyset: string) =>
    (await sts.inject({ url: `/jwks/${keyset}` })).json<{ keys: JWK[] }>().keys;
  const assertPublic = (jwks: JWK[]) => {
    for (const jwk of jwks)
      assert.deepEqual(
        Object.keys(jwk).filter((member) => !PUBLIC_MEMBERS.has(member)),
        [],
        `${jwk.kid} has only public members`,
      );
  };

  it('lists every keyset in Kong’s shape: id, name, keys, previous, timestamps', async () => {
    const res = await kong('GET', '/jwt-signer/jwks');
    assert.equal(res.statusCode, 200);
    const page = res.json<Page<KongJwks>>();
    assert.deepEqual(
      page.data.map((row) => row.name),
      ['default', 'edge', 'remote', 'shared'],
    );
    assert.equal(page.next, null);
    const edge = page.data.find((row) => row.name === 'edge')!;
    assert.deepEqual(Object.keys(edge).sort(), [
      'created_at',
      'id',
      'keys',
      'name',
      'previous',
      'updated_at',
    ]);
    assert.match(String(edge.id), /^[0-9a-f-]{36}$/);
    assert.ok(Number.isInteger(edge.created_at) && Number.isInteger(edge.updated_at));
    assert.ok(edge.updated_at! >= edge.created_at!);
    assert.deepEqual(edge.keys, await published('edge'));
    assert.deepEqual(edge.previous, []);
    const shared = page.data.find((row) => row.name === 'shared')!;
    assert.deepEqual([shared.keys, shared.previous], [[], []], 'HMAC keys are never shown');
    const remote = page.data.find((row) => row.name === 'remote')!;
    assert.equal(remote.id, null);
    assert.equal(remote.keys.length, 1);
    for (const row of page.data) assertPublic([...row.keys, ...row.previous]);
  });

  it('answers one keyset by name or by id as {keys, previous}', async () => {
    const byName = await kong('GET', '/jwt-signer/jwks/edge');
    assert.equal(byName.statusCode, 200);
    const keys = byName.json<KongJwksKeys>();
    assert.deepEqual(Object.keys(keys), ['keys', 'previous']);
    assert.deepEqual(keys.keys, await published('edge'));
    const id = (await kong('GET', '/jwt-signer/jwks'))
      .json<Page<KongJwks>>()
      .data.find((row) => row.name === 'edge')!.id;
    assert.deepEqual((await kong('GET', `/jwt-signer/jwks/${id}`)).json(), keys);
    const unknown = await kong('GET', '/jwt-signer/jwks/nope');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json<{ code: string }>().code, 'ERR_NOT_FOUND');
  });

  it('rotates by id as Kong does: a new key signs, the old one moves to previous', async () => {
    const id = (await kong('GET', '/jwt-signer/jwks'))
      .json<Page<KongJwks>>()
      .data.find((row) => row.name === 'edge')!.id;
    const before = (await kong('GET', '/jwt-signer/jwks/edge')).json<KongJwksKeys>();
    const res = await kong('POST', `/jwt-signer/jwks/${id}/rotate`);
    assert.equal(res.statusCode, 200);
    const after = res.json<KongJwksKeys>();
    assert.equal(after.keys.length, 1);
    assert.notEqual(after.keys[0]!.kid, before.keys[0]!.kid);
    assert.deepEqual(after.previous, before.keys);
    assertPublic([...after.keys, ...after.previous]);
    const view = (await kong('GET', '/admin/keysets/edge')).json<{
      keys: { kid: string; status: string }[];
    }>();
    assert.deepEqual(
      view.keys.map((k) => [k.kid, k.status]),
      [
        [after.keys[0]!.kid, 'current'],
        [before.keys[0]!.kid, 'previous'],
      ],
    );
  });

  it('asks for the admin token, and refuses to rotate a keyset loaded from a jwks_url', async () => {
    for (const [method, url] of [
      ['GET', '/jwt-signer/jwks'],
      ['GET', '/jwt-signer/jwks/edge'],
      ['POST', '/jwt-signer/jwks/edge/rotate'],
    ] as const) {
      const res = await sts.inject({ method, url });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="sts-admin"/);
    }
    const remote = await kong('POST', '/jwt-signer/jwks/remote/rotate');
    assert.equal(remote.statusCode, 400);
  });
});
