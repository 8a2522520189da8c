import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TestCertificate {
  /** The certificate, PEM and DER. */
  pem: string;
  der: Buffer;
  /** Its private key, PKCS#8 PEM. */
  keyPem: string;
  /** KrakenD's `jwk_fingerprints` form: URL-safe base64 (padded) of the SHA-256 of its SPKI. */
  publicKeyPin: string;
}

const DAY = 86_400_000;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};

async function describe(
  certificate: x509.X509Certificate,
  privateKey: CryptoKey,
): Promise<TestCertificate> {
  const der = Buffer.from(certificate.rawData);
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey as never));
  const lines = pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    pem: `${certificate.toString('pem')}\n`,
    der,
    keyPem: `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`,
    publicKeyPin: createHash('sha256').update(spki).digest('base64url') + '=',
  };
}

const validity = () => ({
  notBefore: new Date(Date.now() - DAY),
  notAfter: new Date(Date.now() + DAY),
});

/** A test CA and a server certificate it issued for 127.0.0.1 (both ECDSA P-256). */
export async function issueServerCertificate(): Promise<{
  ca: TestCertificate;
  leaf: TestCertificate;
}> {
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=STS test CA',
    ...validity(),
    signingAlgorithm: EC,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    ...validity(),
    signingAlgorithm: EC,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  return {
    ca: await describe(ca, caKeys.privateKey),
    leaf: await describe(leaf, leafKeys.privateKey),
  };
}

/** A self-signed RSA certificate and key, as a gateway's signing key pair (Optum's key files). */
export async function selfSignedRsa(name = 'CN=gateway'): Promise<TestCertificate> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '03',
    name,
    ...validity(),
    signingAlgorithm: RSA,
    keys,
  });
  return describe(certificate, keys.privateKey);
}
