import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export const IDP_ISSUER = 'https://idp.example.com';

type IdpAlg = 'RS256' | 'EdDSA';

interface SignJob {
  pem: string;
  alg: IdpAlg;
  kid: string;
  from: number;
  to: number;
  prefix: string;
  exp: number;
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signRange(job: SignJob): string[] {
  const header = part({ alg: job.alg, kid: job.kid, typ: 'JWT' });
  const iat = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = job.from; i < job.to; i++) {
    const input = `${header}.${part({
      iss: IDP_ISSUER,
      sub: `${job.prefix}-${i}`,
      aud: 'https://api.example.com',
      scope: 'read write',
      iat,
      exp: job.exp,
    })}`;
    const signature = sign(job.alg === 'RS256' ? 'sha256' : null, Buffer.from(input), job.pem);
    tokens.push(`${input}.${signature.toString('base64url')}`);
  }
  return tokens;
}

if (!isMainThread && (workerData as { benchSign?: SignJob } | null)?.benchSign)
  parentPort!.postMessage(signRange((workerData as { benchSign: SignJob }).benchSign));

/**
 * The identity provider the STS trusts: an RS256 key (the tokens the paths are measured with) and
 * an Ed25519 key (cheap to sign 100k tokens with for the memory run), its JWKS served over HTTP
 * from this process. Tokens are signed with node:crypto on worker threads, one per core.
 */
export class BenchIdp {
  private constructor(
    private readonly server: Server,
    private readonly keys: Record<IdpAlg, { privateKey: KeyObject; publicKey: KeyObject }>,
    readonly jwksUri: string,
  ) {}

  static async start(): Promise<BenchIdp> {
    const keys = {
      RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      EdDSA: generateKeyPairSync('ed25519'),
    };
    const jwks = JSON.stringify({
      keys: (Object.keys(keys) as IdpAlg[]).map((alg) => ({
        ...keys[alg].publicKey.export({ format: 'jwk' }),
        kid: `bench-${alg}`,
        alg,
        use: 'sig',
      })),
    });
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new BenchIdp(server, keys, `http://127.0.0.1:${port}/.well-known/jwks.json`);
  }

  /** The RS256 public key as PEM (HAProxy's `jwt_verify` reads it from a file). */
  publicPem(): string {
    return this.keys.RS256.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** `count` distinct tokens (`sub` = `<prefix>-<n>`), valid for a day, one a line in `file`. */
  async tokens(file: string, count: number, prefix: string, alg: IdpAlg = 'RS256'): Promise<void> {
    const pem = this.keys[alg].privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const exp = Math.floor(Date.now() / 1000) + 86_400;
    const workers = Math.max(1, Math.min(availableParallelism(), Math.ceil(count / 500)));
    const share = Math.ceil(count / workers);
    const parts = await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const job: SignJob = {
          pem,
          alg,
          kid: `bench-${alg}`,
          from: w * share,
          to: Math.min(count, (w + 1) * share),
          prefix,
          exp,
        };
        return new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(__filename, { workerData: { benchSign: job } });
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      }),
    );
    writeFileSync(file, `${parts.flat().join('\n')}\n`);
  }

  /** One token (the repeated-token paths send it over and over). */
  token(prefix: string): string {
    return signRange({
      pem: this.keys.RS256.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      alg: 'RS256',
      kid: 'bench-RS256',
      from: 0,
      to: 1,
      prefix,
      exp: Math.floor(Date.now() / 1000) + 86_400,
    })[0]!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
