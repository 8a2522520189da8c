import { AUDIENCE, CLIENT } from './processes';
import type { LoadRequest } from './wrk';

/** What one round measures with wrk: the limits and the service's paths, in this order. */
export const LOAD_MEASUREMENTS = [
  'raw',
  'verify-distinct',
  'haproxy-distinct',
  'verify-repeated',
  'haproxy-repeated',
  'exchange-distinct',
  'exchange-repeated',
  'authz-repeated',
  'token-exchange',
  'token-signer',
  'jwks',
  'nginx-direct',
  'nginx-authz',
  'nginx-direct-1conn',
  'nginx-authz-1conn',
] as const;
export type LoadMeasurement = (typeof LOAD_MEASUREMENTS)[number];
/** Measured another way: jose in its own process, memory, start-up. */
export type Measurement = LoadMeasurement | 'jose' | 'rss' | 'cold-start';
export const MEASUREMENTS: readonly Measurement[] = [
  ...LOAD_MEASUREMENTS,
  'jose',
  'rss',
  'cold-start',
];

export interface Targets {
  sts: string;
  raw: string;
  nginxDirect: string;
  nginxAuthz: string;
  haproxy: string | undefined;
  /** One token sent over and over. */
  repeated: string;
  /** Files of distinct tokens; `startAt` moves on as a round uses them. */
  verifyPool: { file: string; count: number; startAt: number };
  exchangePool: { file: string; count: number; startAt: number };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** The request wrk sends for a measurement; undefined when its server is not there (HAProxy). */
export function loadRequest(name: LoadMeasurement, t: Targets): LoadRequest | undefined {
  const distinct = (url: string, pool: Targets['verifyPool']): LoadRequest => ({
    url,
    method: 'POST',
    headers: { authorization: 'Bearer {token}' },
    tokens: pool,
  });
  switch (name) {
    case 'raw':
      return { url: `${t.raw}/` };
    case 'verify-distinct':
      return distinct(`${t.sts}/verify/api`, t.verifyPool);
    case 'verify-repeated':
      return { url: `${t.sts}/verify/api`, method: 'POST', headers: bearer(t.repeated) };
    case 'haproxy-distinct':
      // HAProxy keeps nothing between requests: the pool may be the one /verify used.
      return t.haproxy
        ? { ...distinct(`${t.haproxy}/`, { ...t.verifyPool, startAt: 0 }), method: 'GET' }
        : undefined;
    case 'haproxy-repeated':
      return t.haproxy ? { url: `${t.haproxy}/`, headers: bearer(t.repeated) } : undefined;
    case 'exchange-distinct':
      return distinct(`${t.sts}/exchange/api`, t.exchangePool);
    case 'exchange-repeated':
      return { url: `${t.sts}/exchange/api`, method: 'POST', headers: bearer(t.repeated) };
    case 'authz-repeated':
      return { url: `${t.sts}/authz/api`, headers: bearer(t.repeated) };
    case 'token-exchange':
      return {
        url: `${t.sts}/exchange`,
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: TOKEN_EXCHANGE,
          subject_token: t.repeated,
          subject_token_type: ACCESS_TOKEN,
          audience: AUDIENCE,
          scope: 'read',
        }).toString(),
      };
    case 'token-signer':
      return {
        url: `${t.sts}/token/bench`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: { sub: 'alice', scope: 'read', aud: AUDIENCE } }),
      };
    case 'jwks':
      return { url: `${t.sts}/.well-known/jwks.json` };
    case 'nginx-direct':
      // The same request as through the STS, token included, so only the check differs.
      return { url: `${t.nginxDirect}/orders`, headers: bearer(t.repeated) };
    case 'nginx-authz':
      return { url: `${t.nginxAuthz}/orders`, headers: bearer(t.repeated) };
    // One connection: what a request waits for the check, with nothing queued before it.
    case 'nginx-direct-1conn':
      return { url: `${t.nginxDirect}/orders`, headers: bearer(t.repeated), connections: 1 };
    case 'nginx-authz-1conn':
      return { url: `${t.nginxAuthz}/orders`, headers: bearer(t.repeated), connections: 1 };
  }
}

/** Rates of one round, by measurement (req/s; jose ops/s by `jose-<alg>-<verify|sign>`). */
export type RoundRates = Record<string, number | undefined>;

export interface Goal {
  ratio?: number;
  p99Ms?: number;
  /** The row's own value (MB, ms) at most this. */
  atMost?: number;
}

export interface RowSpec {
  label: string;
  /** The measurement whose rate (or memory, or start time) the row shows. */
  target: string;
  /** What it is measured against; the measurements it needs; its value in one round. */
  limit?: { label: string; needs: Measurement[]; value: (r: RoundRates) => number | undefined };
  /** Other measurements the row is computed from. */
  needs?: Measurement[];
  goal?: Goal;
}

const inverseSum = (...rates: (number | undefined)[]) =>
  rates.every((rate) => rate !== undefined && rate > 0)
    ? 1 / rates.reduce<number>((sum, rate) => sum + 1 / rate!, 0)
    : undefined;

const RAW = {
  label: 'raw Fastify',
  needs: ['raw'],
  value: (r) => r.raw,
} satisfies RowSpec['limit'];
const VERIFY = {
  label: '1/(1/raw + 1/jose verify RS256)',
  needs: ['raw', 'jose'],
  value: (r) => inverseSum(r.raw, r['jose-RS256-verify']),
} satisfies RowSpec['limit'];
const EXCHANGE = {
  label: '1/(1/raw + 1/verify + 1/sign) RS256',
  needs: ['raw', 'jose'],
  value: (r) => inverseSum(r.raw, r['jose-RS256-verify'], r['jose-RS256-sign']),
} satisfies RowSpec['limit'];
const SIGN = {
  label: '1/(1/raw + 1/jose sign RS256)',
  needs: ['raw', 'jose'],
  value: (r) => inverseSum(r.raw, r['jose-RS256-sign']),
} satisfies RowSpec['limit'];
const haproxy = (kind: 'distinct' | 'repeated') =>
  ({
    label: `HAProxy jwt_verify, ${kind}`,
    needs: [`haproxy-${kind}`],
    value: (r) => r[`haproxy-${kind}`],
  }) satisfies RowSpec['limit'];

/** The table: the limits first, then each path against the limit the issue holds it to. */
export const ROWS: RowSpec[] = [
  { label: 'limit: raw Fastify 5 JSON route', target: 'raw' },
  ...(['RS256', 'ES256', 'EdDSA'] as const).flatMap((alg) =>
    (['verify', 'sign'] as const).map((op) => ({
      label: `limit: jose ${op} ${alg}, in process`,
      target: `jose-${alg}-${op}`,
    })),
  ),
  { label: 'limit: nginx → upstream', target: 'nginx-direct' },
  { label: 'limit: HAProxy jwt_verify, repeated token', target: 'haproxy-repeated' },
  { label: 'limit: HAProxy jwt_verify, distinct tokens', target: 'haproxy-distinct' },
  {
    label: 'POST /verify/{profile}, RS256, distinct tokens',
    target: 'verify-distinct',
    limit: VERIFY,
    goal: { ratio: 0.75 },
  },
  {
    label: 'POST /verify/{profile}, repeated token',
    target: 'verify-repeated',
    limit: RAW,
    goal: { ratio: 0.6 },
  },
  {
    label: 'POST /verify/{profile}, repeated, vs HAProxy',
    target: 'verify-repeated',
    limit: haproxy('repeated'),
    goal: { ratio: 1 },
  },
  {
    label: 'POST /verify/{profile}, distinct, vs HAProxy',
    target: 'verify-distinct',
    limit: haproxy('distinct'),
    goal: { ratio: 0.5 },
  },
  {
    label: 'POST /exchange/{profile}, distinct, RS256 re-sign',
    target: 'exchange-distinct',
    limit: EXCHANGE,
    goal: { ratio: 0.8, p99Ms: 20 },
  },
  {
    label: 'POST /exchange/{profile}, repeated token',
    target: 'exchange-repeated',
    limit: RAW,
    goal: { ratio: 0.6 },
  },
  {
    label: 'GET /authz/{profile}, repeated token',
    target: 'authz-repeated',
    limit: RAW,
    goal: { ratio: 0.6 },
  },
  { label: 'POST /exchange (RFC 8693), repeated subject', target: 'token-exchange', limit: SIGN },
  { label: 'POST /token/{signer}', target: 'token-signer', limit: SIGN },
  { label: 'GET /.well-known/jwks.json', target: 'jwks', limit: RAW, goal: { ratio: 0.8 } },
  {
    label: 'nginx auth_request → /authz → upstream',
    target: 'nginx-authz',
    limit: { label: 'nginx → upstream', needs: ['nginx-direct'], value: (r) => r['nginx-direct'] },
    goal: { ratio: 0.5 },
  },
  {
    label: 'nginx forward-auth: p50 added, 1 connection (ms)',
    target: 'forward-auth-added-p50',
    needs: ['nginx-direct-1conn'],
    goal: { atMost: 0.6 },
  },
  { label: 'RSS after distinct tokens (MB)', target: 'rss', goal: { atMost: 250 } },
  { label: 'npm start → /health/ready, fresh data dir (ms)', target: 'start-fresh' },
  {
    label: 'npm start → /health/ready, warm data dir (ms)',
    target: 'start-warm',
    goal: { atMost: 3000 },
  },
  { label: 'node dist/src/main.js → ready, warm, pinned (ms)', target: 'start-node' },
];

/** The measurement a row's target comes from (jose rates and start times group under one). */
export function measurementOf(target: string): Measurement {
  if (target.startsWith('jose-')) return 'jose';
  if (target.startsWith('start-')) return 'cold-start';
  if (target === 'forward-auth-added-p50') return 'nginx-authz-1conn';
  return target as Measurement;
}
