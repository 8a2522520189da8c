import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TRACING_OFF } from '../../src/common/tracing';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { MetricsService } from '../../src/metrics/metrics.service';
import { JwsSigner } from '../../src/signing/jws-signer.service';
import { ManualClock, sendJson, startLocalServer, startSts, type TestSts } from '../helpers';
import { startIdp } from '../idp';

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
  'sts_signing_failures_total',
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
    assert.equal(values.get('sts_signing_failures_total{reason="key_unavailable"}'), 0);
    assert.equal(values.get('sts_signing_failures_total{reason="signature"}'), 0);
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

describe('sts_signing_failures_total', () => {
  const failures = async (sts: TestSts, reason: string) =>
    samples((await sts.inject({ url: '/metrics' })).body).get(
      `sts_signing_failures_total{reason="${reason}"}`,
    );
  const keyServer = (up: () => boolean) =>
    startLocalServer((_req, res) =>
      up()
        ? sendJson(res, 200, {
            keys: [
              { kty: 'oct', kid: 'x', alg: 'HS256', k: Buffer.alloc(32, 4).toString('base64url') },
            ],
          })
        : sendJson(res, 503, { error: 'down' }),
    );

  it('counts a re-signing whose keyset URL does not answer as key_unavailable', async () => {
    const idp = await startIdp();
    const keys = await keyServer(() => false);
    const sts = await startSts({
      file: {
        profiles: [
          {
            name: 'remote-keys',
            access_token_jwks_uri: idp.jwksUri,
            access_token_keyset: `${keys.url}/keys`,
            channel_token_optional: true,
          },
        ],
      },
    });
    try {
      const res = await sts.inject({
        method: 'POST',
        url: '/exchange/remote-keys',
        headers: {
          authorization: `Bearer ${await idp.sign({ sub: 'a', exp: Math.floor(Date.now() / 1000) + 600 })}`,
        },
      });
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(await failures(sts, 'key_unavailable'), 1);
      assert.equal(await failures(sts, 'signature'), 0);
    } finally {
      await sts.cleanup();
      await keys.close();
      await idp.close();
    }
  });

  it('counts a KrakenD signer whose JWK set did not load as key_unavailable', async () => {
    let up = true;
    const keys = await keyServer(() => up);
    const admin = {
      authorization: 'Bearer admin-token-0123456789',
      'content-type': 'application/json',
    };
    const sts = await startSts({ env: { STS_ADMIN_TOKEN: admin.authorization.slice(7) } });
    const created = await sts.inject({
      method: 'POST',
      url: '/admin/signers',
      headers: admin,
      payload: { name: 'remote', 'jwk-url': `${keys.url}/k`, alg: 'HS256', 'keys-to-sign': ['t'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    await sts.close();
    up = false;
    const again = await startSts({ env: sts.env, dataDir: sts.dataDir });
    try {
      const res = await again.inject({
        method: 'POST',
        url: '/token/remote',
        headers: { 'content-type': 'application/json' },
        payload: { t: { sub: 'a' } },
      });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(await failures(again, 'key_unavailable'), 1);
    } finally {
      await again.cleanup();
      await keys.close();
    }
  });

  it('counts a JWS operation that throws as signature, and times only the ones that succeed', async () => {
    const metrics = new MetricsService();
    const signer = new JwsSigner(metrics, TRACING_OFF);
    const unusable = {
      kid: 'k',
      alg: 'ES256' as const,
      key: new Uint8Array(32), // an HMAC secret where ES256 needs an EC private key
      publicJwk: undefined,
      status: 'current' as const,
      createdAt: 0,
    };
    await assert.rejects(signer.compact({ sub: 'a' }, unusable));
    const values = samples(await metrics.render());
    assert.equal(values.get('sts_signing_failures_total{reason="signature"}'), 1);
    assert.equal(values.get('sts_signing_failures_total{reason="key_unavailable"}'), 0);
    assert.equal(values.get('sts_signing_duration_seconds_count{alg="ES256"}'), undefined);
  });
});
