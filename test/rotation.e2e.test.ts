import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JWK } from 'jose';
import { KeysetService } from '../src/keys/keyset.service';
import { startSts, verifyWithPyJwt } from './helpers';

describe('manual rotation in the service layer', () => {
  it('signs with the new kid, keeps the previous key published, and drops keys beyond retain', async () => {
    const sts = await startSts({
      file: {
        keysets: [{ name: 'edge', algorithm: 'ES256', rotation: { retain: 1 } }],
        signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
      },
    });
    const keysets = sts.app.get(KeysetService);
    const sign = async () => {
      const res = await sts.inject({
        method: 'POST',
        url: '/token/edge',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ access_token: { sub: 'alice' } }),
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<{ access_token: string }>().access_token;
    };
    const jwks = async () => (await sts.inject({ url: '/jwks/edge' })).json<{ keys: JWK[] }>();
    const verifies = async (token: string) => {
      try {
        await compactVerify(token, createLocalJWKSet(await jwks()), { algorithms: ['ES256'] });
        return true;
      } catch {
        return false;
      }
    };
    const rotated: string[] = [];
    keysets.onRotation((name) => rotated.push(name));

    const first = await sign();
    const firstKid = decodeProtectedHeader(first).kid!;
    const etagBefore = (await sts.inject({ url: '/jwks' })).headers.etag;

    const newKey = await keysets.rotate('edge');
    assert.deepEqual(rotated, ['edge']);
    assert.notEqual(newKey.kid, firstKid);
    const second = await sign();
    assert.equal(decodeProtectedHeader(second).kid, newKey.kid, 'new tokens carry the new kid');
    assert.ok(await verifies(first), 'a token signed with the previous key still verifies');
    assert.equal(verifyWithPyJwt(first, await jwks(), ['ES256']).sub, 'alice');
    assert.deepEqual(
      (await jwks()).keys.map((k) => k.kid),
      [newKey.kid, firstKid],
    );
    assert.notEqual(
      (await sts.inject({ url: '/jwks' })).headers.etag,
      etagBefore,
      'ETag follows the key set',
    );

    await keysets.rotate('edge');
    assert.equal((await jwks()).keys.length, 2, 'current + retain previous');
    assert.equal(await verifies(first), false, 'the key beyond retain is gone');
    assert.ok(await verifies(second));

    // The same state comes back from the database after a restart.
    const published = await jwks();
    await sts.close();
    const again = await startSts({
      dataDir: sts.dataDir,
      file: { keysets: [{ name: 'edge', algorithm: 'ES256' }] },
    });
    assert.deepEqual((await again.inject({ url: '/jwks/edge' })).json(), published);
    await again.cleanup();
  });

  it('serializes concurrent rotations of one keyset', async () => {
    const sts = await startSts({
      file: { keysets: [{ name: 'busy', algorithm: 'EdDSA', rotation: { retain: 3 } }] },
    });
    const keysets = sts.app.get(KeysetService);
    const kids = await Promise.all([1, 2, 3].map(() => keysets.rotate('busy')));
    assert.equal(new Set(kids.map((k) => k.kid)).size, 3);
    const summary = keysets.list().find((k) => k.name === 'busy')!;
    assert.deepEqual(
      summary.keys.map((k) => k.status),
      ['current', 'previous', 'previous', 'previous'],
    );
    assert.equal(summary.keys.filter((k) => k.status === 'current').length, 1);
    await sts.cleanup();
  });

  it('refuses to rotate an unknown keyset', async () => {
    const sts = await startSts();
    await assert.rejects(sts.app.get(KeysetService).rotate('nope'), /keyset "nope" not found/);
    await sts.cleanup();
  });
});
