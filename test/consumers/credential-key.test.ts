import 'reflect-metadata'; // @peculiar/x509 needs it loaded first
import assert from 'node:assert/strict';
import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { CompactSign, compactVerify } from 'jose';
import { checkConsumers, credentialProblem } from '../../src/config/consumer.schema';
import { importCredentialKey } from '../../src/consumers/credential-key';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject, type: 'spki' | 'pkcs1' | 'pkcs8' | 'sec1'): string =>
  String(key.export({ type, format: 'pem' }));
const spki = pem(rsa.publicKey, 'spki');

/** The problems of a file consumer holding one credential with this key. */
const fileProblems = (rsa_public_key: string, algorithm: 'RS256' | 'ES256' | 'PS256' = 'RS256') =>
  checkConsumers([{ username: 'u', jwt_secrets: [{ key: 'k', algorithm, rsa_public_key }] }]);

describe('Kong JWT credential keys (rsa_public_key)', () => {
  it('refuses a private key in any PEM form (it would be stored and shown in clear)', () => {
    const refused = (key: string, algorithm: 'RS256' | 'ES256' = 'RS256') =>
      assert.deepEqual(fileProblems(key, algorithm), [
        {
          path: 'consumers[0].jwt_secrets[0]',
          message: 'rsa_public_key must be a public key, not a private key',
        },
      ]);
    refused(pem(rsa.privateKey, 'pkcs8'));
    refused(pem(rsa.privateKey, 'pkcs1'));
    refused(pem(ec.privateKey, 'sec1'), 'ES256');
    // Pasted together with its public key: the private half is refused all the same.
    refused(`${spki}${pem(rsa.privateKey, 'pkcs8')}`);
  });

  it('refuses a certificate, saying how to get its key', async () => {
    const keys = await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    );
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=credential',
        keys,
        signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      },
      webcrypto as unknown as Crypto,
    );
    assert.match(
      credentialProblem({ key: 'k', algorithm: 'RS256', rsa_public_key: certificate.toString() })!,
      /^rsa_public_key must be a public key, not a certificate \(`openssl x509 -pubkey -noout`/,
    );
  });

  it('refuses an RSA-PSS key, which jose cannot import', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    assert.match(
      fileProblems(pem(pss.publicKey, 'spki'), 'PS256')[0]!.message,
      /^rsa_public_key is an RSA-PSS \(id-RSASSA-PSS\) key/,
    );
  });

  it('takes a PKCS#1 RSA public key and verifies with it as with its SPKI form', async () => {
    const pkcs1 = pem(rsa.publicKey, 'pkcs1');
    assert.match(pkcs1, /^-----BEGIN RSA PUBLIC KEY-----/);
    assert.deepEqual(fileProblems(pkcs1), []);
    const token = await new CompactSign(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    for (const form of [pkcs1, spki]) {
      const key = await importCredentialKey(form, 'RS256');
      await compactVerify(token, key as CryptoKey, { algorithms: ['RS256'] });
    }
  });

  it('a stored private key (written before this rule) does not load', async () => {
    await assert.rejects(
      importCredentialKey(pem(rsa.privateKey, 'pkcs8'), 'RS256'),
      /^Error: rsa_public_key must be a public key, not a private key$/,
    );
  });
});
