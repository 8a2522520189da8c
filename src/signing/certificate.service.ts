import { webcrypto } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../common/clock';
import { STS_CONFIG, type StsConfig } from '../config/config';
import { KeyCertificateEntity } from '../database/key-certificate.entity';
import type { SigningKey } from '../keys/signing-key';

/** Loaded on first use: the X.509 stack is large and only Optum's `x5c` needs it. */
let x509Library: Promise<typeof import('@peculiar/x509')> | undefined;
function loadX509(): Promise<typeof import('@peculiar/x509')> {
  x509Library ??= import('@peculiar/x509').then((x509) => {
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  });
  return x509Library;
}

const CERTIFICATE_DAYS = 5 * 365;

function x509Algorithm(alg: string): Algorithm | RsaPssParams | EcdsaParams {
  const hash = `SHA-${alg.slice(2)}`;
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5', hash };
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', hash, saltLength: Number(alg.slice(2)) / 8 };
  if (alg.startsWith('ES')) return { name: 'ECDSA', hash };
  return { name: 'Ed25519' };
}

/**
 * Self-signed certificates for our signing keys, for Optum mode's `x5c` header (RFC 7515: standard
 * base64 DER, leaf first). Generated on first use per key and stored, so they survive restarts.
 */
@Injectable()
export class CertificateService {
  private readonly chains = new Map<string, Promise<string[]>>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(STS_CONFIG) private readonly config: StsConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  chainFor(keyset: string, key: SigningKey): Promise<string[]> {
    let chain = this.chains.get(key.kid);
    if (!chain) {
      chain = this.loadOrCreate(keyset, key);
      chain.catch(() => this.chains.delete(key.kid));
      this.chains.set(key.kid, chain);
    }
    return chain;
  }

  private async loadOrCreate(keyset: string, key: SigningKey): Promise<string[]> {
    const repository = this.dataSource.getRepository(KeyCertificateEntity);
    const stored = await repository.findOneBy({ kid: key.kid });
    if (stored) return JSON.parse(stored.chain) as string[];
    if (!key.publicJwk)
      throw new Error(`keyset "${keyset}" uses HMAC; certificates need an asymmetric key`);
    const now = this.clock.now();
    const x509 = await loadX509();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Buffer.from(key.kid, 'base64url').subarray(0, 16).toString('hex'),
      name: `CN=${new URL(this.config.issuer).hostname} STS signing key, OU=${keyset}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + CERTIFICATE_DAYS * 86_400_000),
      signingAlgorithm: x509Algorithm(key.alg),
      keys: {
        privateKey: key.key as CryptoKey,
        publicKey: (await importJWK(key.publicJwk, key.alg)) as CryptoKey,
      },
    });
    const chain = [Buffer.from(certificate.rawData).toString('base64')];
    await repository.upsert(
      { kid: key.kid, keyset, chain: JSON.stringify(chain), createdAt: now },
      ['kid'],
    );
    return JSON.parse((await repository.findOneByOrFail({ kid: key.kid })).chain) as string[];
  }
}
