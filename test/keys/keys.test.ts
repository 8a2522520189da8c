import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { OutboundHttp } from '../../src/common/outbound-http';
import { SIGNING_ALGORITHMS } from '../../src/config/algorithms';
import { generateSigningKey } from '../../src/keys/key-generator';
import { MasterKeyError, MasterKeyRing, resolveMasterKeys } from '../../src/keys/master-key';
import { loadPrivateJwks } from '../../src/keys/private-jwks';
import { toPublicJwk } from '../../src/keys/public-jwk';
import { signCompact } from '../../src/signing/jws';
import { sendJson, startLocalServer, tempDir } from '../helpers';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('key generation', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`generates ${alg} with kid = RFC 7638 thumbprint and signs`, async () => {
      const key = await generateSigningKey(alg);
      assert.equal(key.privateJwk.alg, alg);
      if (alg.startsWith('HS')) {
        assert.equal(key.publicJwk, undefined);
        assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'oct', k: key.privateJwk.k! }));
        return;
      }
      const publicJwk = key.publicJwk!;
      assert.equal(key.kid, await calculateJwkThumbprint(publicJwk));
      for (const member of PRIVATE_MEMBERS)
        assert.equal(member in publicJwk, false, `${member} leaked`);
      if (alg === 'EdDSA') assert.equal(publicJwk.crv, 'Ed25519');
      const token = await signCompact(
        { sub: 'x' },
        {
          kid: key.kid,
          alg,
          key: await importJWK(key.privateJwk, alg),
          publicJwk,
          status: 'current',
          createdAt: 0,
        },
      );
      const verified = await compactVerify(token, createLocalJWKSet({ keys: [publicJwk] }), {
        algorithms: [alg],
      });
      assert.equal(verified.protectedHeader.kid, key.kid);
    });
  }

  it('uses 2048-bit RSA by default and 4096 when asked', async () => {
    const bits = (n: string) => Buffer.from(n, 'base64url').length * 8;
    assert.equal(bits((await generateSigningKey('RS256')).publicJwk!.n!), 2048);
    assert.equal(bits((await generateSigningKey('PS512', 4096)).publicJwk!.n!), 4096);
  });

  it('publishes only allow-listed members', () => {
    const published = toPublicJwk({
      kty: 'RSA',
      n: 'n',
      e: 'AQAB',
      d: 'secret',
      foo: 'bar',
      kid: 'k',
    } as never);
    assert.deepEqual(published, { kty: 'RSA', n: 'n', e: 'AQAB', kid: 'k' });
    assert.equal(toPublicJwk({ kty: 'oct', k: 'secret' }), undefined);
  });
});

describe('master key encryption', () => {
  const key1 = Buffer.alloc(32, 1).toString('base64');
  const key2 = Buffer.alloc(32, 2).toString('base64');

  it('round-trips, with a fresh nonce per record', () => {
    const ring = new MasterKeyRing([key1]);
    const a = ring.encrypt('{"d":"secret"}', 'aad');
    const b = ring.encrypt('{"d":"secret"}', 'aad');
    assert.notEqual(a.ciphertext, b.ciphertext);
    assert.equal(ring.decrypt(a.ciphertext, a.keyId, 'aad'), '{"d":"secret"}');
    assert.equal(a.ciphertext.includes('secret'), false);
  });

  it('refuses the wrong key, a record moved to another owner, and tampering', () => {
    const sealed = new MasterKeyRing([key1]).encrypt('x', 'owner-1');
    assert.throws(
      () => new MasterKeyRing([key2]).decrypt(sealed.ciphertext, sealed.keyId, 'owner-1'),
      MasterKeyError,
    );
    const ring = new MasterKeyRing([key1]);
    assert.throws(() => ring.decrypt(sealed.ciphertext, sealed.keyId, 'owner-2'), MasterKeyError);
    const tampered = Buffer.from(sealed.ciphertext, 'base64url');
    tampered[14]! ^= 1;
    assert.throws(
      () => ring.decrypt(tampered.toString('base64url'), sealed.keyId, 'owner-1'),
      MasterKeyError,
    );
  });

  it('decrypts with an old key listed after the new one, and encrypts with the new one', () => {
    const sealed = new MasterKeyRing([key1]).encrypt('x', 'aad');
    const rotated = new MasterKeyRing([key2, key1]);
    assert.equal(rotated.decrypt(sealed.ciphertext, sealed.keyId, 'aad'), 'x');
    assert.notEqual(rotated.encrypt('x', 'aad').keyId, sealed.keyId);
  });

  it('rejects malformed master keys and refuses production without one', () => {
    assert.throws(() => new MasterKeyRing(['c2hvcnQ=']), /32 random bytes/);
    assert.throws(
      () => resolveMasterKeys([], { production: true, dataDir: tempDir() }),
      /NODE_ENV=production requires STS_MASTER_KEY/,
    );
    const dir = tempDir();
    const first = resolveMasterKeys([], { production: false, dataDir: dir });
    assert.ok(first.generatedFile);
    assert.deepEqual(resolveMasterKeys([], { production: false, dataDir: dir }).keys, first.keys);
  });
});

describe('external private JWKS', () => {
  it('keeps only private keys of the allowed algorithm and fails when none remain', async () => {
    const rsa = await generateSigningKey('RS256');
    const ec = await generateSigningKey('ES256');
    const server = await startLocalServer((req, res) => {
      if (req.url === '/good')
        return sendJson(res, 200, { keys: [rsa.privateJwk, ec.privateJwk, rsa.publicJwk] });
      if (req.url === '/public-only') return sendJson(res, 200, { keys: [rsa.publicJwk] });
      return sendJson(res, 200, { nope: true });
    });
    const http = new OutboundHttp({ allowInsecureHttp: false });
    try {
      const keys = await loadPrivateJwks(
        http,
        { url: `${server.url}/good`, algorithm: 'RS256' },
        0,
      );
      assert.deepEqual(
        keys.map((k) => k.kid),
        [rsa.kid],
      );
      await assert.rejects(
        loadPrivateJwks(http, { url: `${server.url}/public-only`, algorithm: 'RS256' }, 0),
        /holds no private key/,
      );
      await assert.rejects(
        loadPrivateJwks(http, { url: `${server.url}/other` }, 0),
        /no "keys" array/,
      );
      await assert.rejects(
        loadPrivateJwks(http, { url: 'http://keys.example.com/jwks.json' }, 0),
        /plain http is only allowed to loopback hosts/,
      );
    } finally {
      await http.close();
      await server.close();
    }
  });
});
