import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeysetRotation } from '../src/keys/keyset-rotation';
import { MetricsService } from '../src/metrics/metrics.service';
import { ManualClock, startSts, type TestSts } from './helpers';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** Samples of a Prometheus text exposition: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const FAMILIES = [
  'sts_http_requests_total',
  'sts_http_request_duration_seconds',
  'sts_verification_outcomes_total',
  'sts_exchange_cache_requests_total',
  'sts_exchange_cache_entries',
  'sts_remote_jwks_fetches_total',
  'sts_introspection_requests_total',
  'sts_signing_duration_seconds',
  'sts_key_age_seconds',
  'sts_key_next_rotation_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
];

describe('GET /metrics', () => {
  let sts: TestSts;
  const clock = new ManualClock();

  before(async () => {
    sts = await startSts({
      clock,
      env: { STS_METRICS_TOKEN: METRICS_TOKEN },
      file: {
        keysets: [{ name: 'edge', algorithm: 'ES256' }],
        signers: [
          { name: 'krakend', keyset: 'edge', 'keys-to-sign': ['access_token', 'refresh_token'] },
        ],
      },
    });
  });
  after(() => sts.cleanup());

  const scrape = async () => {
    const res = await sts.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res;
  };

  it('exposes every family, with the values of a short run', async () => {
    const sign = () =>
      sts.inject({
        method: 'POST',
        url: '/token/krakend',
        headers: { 'content-type': 'application/json' },
        payload: { access_token: { sub: 'a' }, refresh_token: { sub: 'a' } },
      });
    assert.equal((await sign()).statusCode, 200);
    assert.equal((await sign()).statusCode, 200);
    assert.equal((await sts.inject({ url: '/jwks/edge' })).statusCode, 200);
    assert.equal((await sts.inject({ url: '/no-such-thing/1' })).statusCode, 404);
    assert.equal((await sts.inject({ url: '/no-such-thing/2' })).statusCode, 404);
    clock.advance(90_000);

    const res = await scrape();
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const family of FAMILIES) {
      assert.match(res.body, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is exposed`);
    }
    const values = samples(res.body);
    const post = 'method="POST",route="/token/:signer",status="200"';
    assert.equal(values.get(`sts_http_requests_total{${post}}`), 2);
    assert.equal(values.get(`sts_http_request_duration_seconds_count{${post}}`), 2);
    assert.equal(
      values.get('sts_http_requests_total{method="GET",route="/jwks/:keyset",status="200"}'),
      1,
    );
    assert.equal(
      values.get('sts_http_requests_total{method="GET",route="(unmatched)",status="404"}'),
      2,
      'unmatched URLs share one series',
    );
    assert.equal(values.get('sts_signing_duration_seconds_count{alg="ES256"}'), 4);
    assert.ok(values.get('sts_signing_duration_seconds_sum{alg="ES256"}')! > 0);
    assert.equal(values.get('sts_key_age_seconds{keyset="edge"}'), 90);
    assert.equal(values.get('sts_key_age_seconds{keyset="default"}'), 90);
    assert.equal(
      [...values.keys()].some((k) => k.startsWith('sts_key_next_rotation_seconds')),
      false,
      'no series until a rotation is scheduled',
    );
    assert.equal(values.get('sts_exchange_cache_entries'), 0);
  });

  it('reports time to the next rotation once one is scheduled', async () => {
    await sts.app.get(KeysetRotation).rotate('edge', { prepublishSeconds: 3600 });
    const values = samples((await scrape()).body);
    assert.equal(values.get('sts_key_next_rotation_seconds{keyset="edge"}'), 3600);
    assert.equal(values.has('sts_key_next_rotation_seconds{keyset="default"}'), false);
  });

  it('counts its own requests too, and key age follows rotation', async () => {
    await sts.app.get(KeysetRotation).rotate('edge');
    clock.advance(5_000);
    const values = samples((await scrape()).body);
    assert.equal(values.get('sts_key_age_seconds{keyset="edge"}'), 5);
    assert.equal(values.get('sts_key_age_seconds{keyset="default"}'), 95);
    assert.ok(
      values.get('sts_http_requests_total{method="GET",route="/metrics",status="200"}')! >= 2,
    );
  });

  it('asks for the bearer token when STS_METRICS_TOKEN is set', async () => {
    const missing = await sts.inject({ url: '/metrics' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="metrics"');
    assert.equal(missing.json<{ code: string }>().code, 'ERR_UNAUTHORIZED');
    const wrong = await sts.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(
      wrong.headers['www-authenticate'],
      'Bearer realm="metrics", error="invalid_token"',
    );
    assert.equal(wrong.body.includes('sts_'), false);
    // Same length, last character differs: only a comparison of the content refuses it.
    const sameLength = await sts.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}X` },
    });
    assert.equal(sameLength.statusCode, 401);
    assert.equal(sameLength.body.includes('sts_'), false);
  });

  it('keeps one registry per app instance', async () => {
    const other = await startSts();
    try {
      const res = await other.inject({ url: '/metrics' });
      assert.equal(res.statusCode, 200, 'open without STS_METRICS_TOKEN');
      assert.equal(res.body.includes('keyset="edge"'), false);
      assert.equal(res.body.includes('route="/token/:signer"'), false);
    } finally {
      await other.cleanup();
    }
  });
});

describe('MetricsService typed methods', () => {
  it('feeds each family other modules report into', async () => {
    const metrics = new MetricsService();
    metrics.verificationOutcome('partner', 'OK');
    metrics.verificationOutcome('partner', 'ERR_TOKEN_EXPIRED');
    metrics.verificationOutcome('partner', 'ERR_TOKEN_EXPIRED');
    metrics.exchangeCache('hit');
    metrics.exchangeCache('miss');
    metrics.exchangeCache('hit');
    metrics.setExchangeCacheSizeSource(() => 17);
    metrics.remoteJwksFetch('https://idp.example.com/jwks?api_key=s3cr3t', true);
    metrics.remoteJwksFetch('https://idp.example.com/jwks', false);
    metrics.introspection('https://idp.example.com/introspect', 'call');
    metrics.introspection('https://idp.example.com/introspect', 'cache_hit');
    metrics.introspection('https://idp.example.com/introspect', 'failure');
    metrics.signingLatency('RS256', 0.002);
    const text = await metrics.render();
    const values = samples(text);
    assert.equal(values.get('sts_verification_outcomes_total{profile="partner",code="OK"}'), 1);
    assert.equal(
      values.get('sts_verification_outcomes_total{profile="partner",code="ERR_TOKEN_EXPIRED"}'),
      2,
    );
    assert.equal(values.get('sts_exchange_cache_requests_total{result="hit"}'), 2);
    assert.equal(values.get('sts_exchange_cache_requests_total{result="miss"}'), 1);
    assert.equal(values.get('sts_exchange_cache_entries'), 17);
    const jwks = 'uri="https://idp.example.com/jwks"';
    assert.equal(values.get(`sts_remote_jwks_fetches_total{${jwks},result="ok"}`), 1);
    assert.equal(values.get(`sts_remote_jwks_fetches_total{${jwks},result="failure"}`), 1);
    assert.equal(text.includes('s3cr3t'), false, 'URL labels drop the query');
    const endpoint = 'endpoint="https://idp.example.com/introspect"';
    for (const result of ['call', 'cache_hit', 'failure']) {
      assert.equal(
        values.get(`sts_introspection_requests_total{${endpoint},result="${result}"}`),
        1,
      );
    }
    assert.equal(values.get('sts_signing_duration_seconds_count{alg="RS256"}'), 1);
    assert.equal(values.get('sts_signing_duration_seconds_bucket{le="0.0025",alg="RS256"}'), 1);
    assert.equal(values.get('sts_signing_duration_seconds_bucket{le="0.001",alg="RS256"}'), 0);
  });
});
