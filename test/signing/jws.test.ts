import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactSign,
  compactVerify,
  flattenedVerify,
  generateKeyPair,
  type FlattenedJWSInput,
} from 'jose';
import type { SigningAlgorithm } from '../../src/config/algorithms';
import type { SigningKey } from '../../src/keys/signing-key';
import { signCompact, signFlattened } from '../../src/signing/jws';

const signingKey = (alg: SigningAlgorithm, key: CryptoKey | Uint8Array): SigningKey => ({
  alg,
  kid: 'k1',
  key,
  publicJwk: undefined,
  status: 'current',
  createdAt: 0,
});

describe('JWS signing (node:crypto with the keys jose imported)', () => {
  it('signs what jose verifies, for every algorithm, in both serialisations', async () => {
    for (const alg of ['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const token = await signCompact({ sub: 'alice' }, signingKey(alg, privateKey), {
        x5c: ['AQ'],
      });
      const { protectedHeader, payload } = await compactVerify(token, publicKey);
      assert.deepEqual(protectedHeader, { alg, kid: 'k1', typ: 'JWT', x5c: ['AQ'] }, alg);
      assert.equal(new TextDecoder().decode(payload), '{"sub":"alice"}', alg);
      const flattened = JSON.parse(
        await signFlattened('{"n":1}', signingKey(alg, privateKey)),
      ) as FlattenedJWSInput;
      await flattenedVerify(flattened, publicKey);
    }
    const secret = new Uint8Array(32).fill(7);
    const hs = await signCompact({ sub: 'alice' }, signingKey('HS256', secret));
    await compactVerify(hs, secret);
  });

  it('writes the very bytes jose writes (RS256 signatures are deterministic)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const ours = await signCompact({ sub: 'alice', n: 1 }, signingKey('RS256', privateKey));
    const jose = await new CompactSign(new TextEncoder().encode('{"sub":"alice","n":1}'))
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .sign(privateKey);
    assert.equal(ours, jose);
  });

  it("refuses the keys jose refuses, with jose's message", async () => {
    const small = await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      false,
      ['sign', 'verify'],
    );
    await assert.rejects(signCompact({}, signingKey('RS256', small.privateKey)), {
      message: 'RS256 requires key modulusLength to be 2048 bits or larger',
    });
    const { privateKey: p384 } = await generateKeyPair('ES384');
    await assert.rejects(signCompact({}, signingKey('ES256', p384)), {
      message: 'CryptoKey does not support this operation, its algorithm.namedCurve must be P-256',
    });
    const { privateKey: rsa } = await generateKeyPair('RS256');
    await assert.rejects(signCompact({}, signingKey('PS256', rsa)), {
      message: 'CryptoKey does not support this operation, its algorithm.name must be RSA-PSS',
    });
  });
});
