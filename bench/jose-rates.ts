/**
 * The in-process limits: jose verifying and signing with `concurrency` operations in flight, as
 * many as the load generator's connections. Run as its own process, pinned like the STS:
 * `node jose-rates.js <milliseconds> <concurrency>`; prints `{ RS256: { verify, sign }, … }` in
 * operations per second.
 */
import { generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';

export const JOSE_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type JoseAlgorithm = (typeof JOSE_ALGORITHMS)[number];
export type JoseRates = Record<JoseAlgorithm, { verify: number; sign: number }>;

/** Claims the size of a re-signed token (original claims plus what the STS adds). */
const CLAIMS = {
  sub: 'user-42',
  aud: 'https://api.example.com',
  scope: 'read write',
  iss: 'http://127.0.0.1:8080',
  original_iss: 'https://idp.example.com',
  original_exp: 1_900_000_000,
};

async function rate(milliseconds: number, concurrency: number, op: () => Promise<unknown>) {
  const until = performance.now() + milliseconds;
  let done = 0;
  const loop = async () => {
    while (performance.now() < until) {
      await op();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return Math.round(done / ((performance.now() - started) / 1000));
}

async function measure(milliseconds: number, concurrency: number): Promise<JoseRates> {
  const rates: Partial<JoseRates> = {};
  for (const alg of JOSE_ALGORITHMS) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const sign = (key: CryptoKey) =>
      new SignJWT(CLAIMS)
        .setProtectedHeader({ alg, kid: 'bench', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);
    const tokens = await Promise.all(Array.from({ length: 256 }, () => sign(privateKey)));
    let next = 0;
    // A short warm-up, so neither rate pays for the first compilation.
    await rate(milliseconds / 5, concurrency, () => jwtVerify(tokens[next++ % 256]!, publicKey));
    rates[alg] = {
      verify: await rate(milliseconds, concurrency, () =>
        jwtVerify(tokens[next++ % 256]!, publicKey),
      ),
      sign: await rate(milliseconds, concurrency, () => sign(privateKey)),
    };
  }
  return rates as JoseRates;
}

if (require.main === module)
  void measure(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 50)).then((rates) =>
    console.log(JSON.stringify(rates)),
  );
