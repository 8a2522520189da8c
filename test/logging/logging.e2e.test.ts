import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboundHttpError } from '../../src/common/outbound-http';
import { createLogger, redactOutboundUrl, redactUrl, scrubSecrets } from '../../src/logging/logger';
import { ProbeRoutesModule } from '../probe-routes';
import {
  LogCapture,
  sendJson,
  startLocalServer,
  startSts,
  TEST_MASTER_KEY,
  type LocalServer,
  type TestSts,
} from '../helpers';

const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJoZWFkZXIifQ.c2lnbmF0dXJlLWluLWhlYWRlcg';
const PROXY_TOKEN = 'proxy-credential-5f0c2a9e';
const QUERY_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJxdWVyeSJ9.c2lnbmF0dXJlLWluLXF1ZXJ5';
const COOKIE_TOKEN = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJjb29raWUifQ.c2lnbmF0dXJlLWluLWNvb2tpZQ';
const BODY_SECRET = 'client-secret-8c1d7f30b2';
const METRICS_TOKEN = 'metrics-scrape-token-31d4b9';
const SECRETS = {
  ACCESS_TOKEN,
  PROXY_TOKEN,
  QUERY_TOKEN,
  COOKIE_TOKEN,
  BODY_SECRET,
  METRICS_TOKEN,
  TEST_MASTER_KEY,
};

describe('request logging', () => {
  let sts: TestSts;
  let backend: LocalServer;
  const logs = new LogCapture();

  before(async () => {
    backend = await startLocalServer((_req, res) => sendJson(res, 503, { error: 'down' }));
    sts = await startSts({
      logStream: logs,
      env: { LOG_LEVEL: 'debug', STS_METRICS_TOKEN: METRICS_TOKEN },
      extraModules: [ProbeRoutesModule],
      file: {
        signers: [
          { name: 'krakend', 'keys-to-sign': ['access_token'] },
          { name: 'issuer', 'keys-to-sign': ['access_token'], backend: `${backend.url}/issue` },
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await backend.close();
  });

  const withCredentials = {
    authorization: `Bearer ${ACCESS_TOKEN}`,
    'proxy-authorization': `Basic ${PROXY_TOKEN}`,
    cookie: `session=${COOKIE_TOKEN}; theme=dark`,
  };

  it('never writes a token, secret or the master key, whatever carries them', async () => {
    const before = logs.lines.length;
    const body = { access_token: { sub: 'alice', client_secret: BODY_SECRET }, note: BODY_SECRET };
    const answers = await Promise.all([
      sts.inject({
        method: 'POST',
        url: `/token/krakend?access_token=${QUERY_TOKEN}&jwt=${QUERY_TOKEN}`,
        headers: { ...withCredentials, 'content-type': 'application/json' },
        payload: body,
      }),
      sts.inject({
        method: 'POST',
        url: `/token/issuer?token=${QUERY_TOKEN}`,
        headers: { ...withCredentials, 'content-type': 'application/json' },
        payload: { client_secret: BODY_SECRET },
      }),
      sts.inject({ url: `/jwks?access_token=${QUERY_TOKEN}`, headers: withCredentials }),
      sts.inject({ url: `/no/such/route?jwt=${QUERY_TOKEN}`, headers: withCredentials }),
      sts.inject({ url: `/probe/boom?access_token=${QUERY_TOKEN}`, headers: withCredentials }),
      sts.inject({ url: '/metrics', headers: { authorization: `Bearer ${ACCESS_TOKEN}` } }),
      sts.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } }),
      sts.inject({ url: `/health/ready?token=${QUERY_TOKEN}`, headers: withCredentials }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [200, 502, 200, 404, 500, 401, 200, 200],
    );
    const written = logs.lines.slice(before);
    assert.ok(written.length >= answers.length);
    for (const line of written) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        assert.equal(line.includes(secret), false, `${name} leaked into: ${line}`);
      }
    }
    assert.equal(
      logs.lines.some((line) => line.includes(TEST_MASTER_KEY)),
      false,
      'master key never logged, start-up included',
    );
  });

  it('writes one JSON line per request with route, status, duration, ids and annotations', async () => {
    const before = logs.lines.length;
    const res = await sts.inject({
      method: 'POST',
      url: `/token/krakend?access_token=${QUERY_TOKEN}`,
      headers: { 'content-type': 'application/json', 'x-request-id': 'gw-7f3a:span=42' },
      payload: { access_token: { sub: 'alice' } },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-request-id'], 'gw-7f3a:span=42', 'echoed to the caller');
    const lines = logs.records().slice(before);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const line = lines[0]!;
    assert.equal(line.msg, 'request completed');
    assert.equal(line.level, 'info');
    assert.equal(line.reqId, 'gw-7f3a:span=42');
    assert.equal(line.method, 'POST');
    assert.equal(line.route, '/token/:signer');
    assert.equal(line.url, '/token/krakend?access_token=[REDACTED]');
    assert.equal(line.status, 200);
    assert.equal(line.profile, 'krakend');
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(line.durationMs >= 0);
    assert.equal(typeof line.time, 'string', 'ISO timestamp');
  });

  it('records the error code as the outcome and generates ids it is not given', async () => {
    const before = logs.lines.length;
    const res = await sts.inject({
      method: 'POST',
      url: '/token/nope',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad id\nwith newline' },
      payload: {},
    });
    assert.equal(res.statusCode, 404);
    const id = res.headers['x-request-id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/, 'an unusable caller id is replaced by a UUID');
    const [line] = logs.records().slice(before);
    assert.equal(line!.reqId, id);
    assert.equal(line!.outcome, 'ERR_NOT_FOUND');
    assert.equal(line!.profile, 'nope');
    assert.equal(line!.status, 404);
  });

  it('logs unexpected errors once, with stack, on the request id of their access line', async () => {
    const before = logs.lines.length;
    const res = await sts.inject({ url: '/probe/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), {
      error: 'server_error',
      error_description: 'internal error',
      code: 'ERR_INTERNAL',
    });
    const lines = logs.records().slice(before);
    const failure = lines.find((l) => l.msg === 'unhandled error');
    const access = lines.find((l) => l.msg === 'request completed');
    assert.equal(failure?.level, 'error');
    assert.match(String(failure?.err.stack), /unexpected failure in a handler/);
    assert.equal(failure?.reqId, access?.reqId);
    assert.equal(access!.outcome, 'ERR_INTERNAL');
    assert.equal(access!.level, 'warn');
    assert.equal(access!.route, '/probe/boom');
  });

  it('labels unmatched routes with one route value, and probes log at debug', async () => {
    const before = logs.lines.length;
    await sts.inject({ url: '/wp-login.php' });
    await sts.inject({ url: '/health/live' });
    const [unmatched, probe] = logs.records().slice(before);
    assert.equal(unmatched!.route, '(unmatched)');
    assert.equal(unmatched!.url, '/wp-login.php');
    assert.equal(probe!.route, '/health/live');
    assert.equal(probe!.level, 'debug');
  });

  it('sends framework and service logs through the same logger', () => {
    const records = logs.records();
    assert.ok(
      records.some(
        (r) => r.context === 'KeysetService' && /created keyset "default"/.test(String(r.msg)),
      ),
      'Nest logger output is JSON in the same stream',
    );
  });
});

describe('redactUrl', () => {
  it('keeps the path and parameter names, never a value', () => {
    assert.equal(redactUrl('/a/b'), '/a/b');
    assert.equal(
      redactUrl('/a?x=1&jwt=abc&flag'),
      '/a?x=[REDACTED]&jwt=[REDACTED]&flag=[REDACTED]',
    );
    assert.equal(redactUrl('/a?'), '/a?');
  });
});

describe('redactOutboundUrl', () => {
  it('drops user info and query values of the URLs we call', () => {
    assert.equal(
      redactOutboundUrl('https://idp.example.com/jwks?api_key=k3y&v=2#frag'),
      'https://idp.example.com/jwks?api_key=[REDACTED]&v=[REDACTED]',
    );
    assert.equal(
      redactOutboundUrl('https://sts:pa55@idp.example.com/introspect'),
      'https://[REDACTED]@idp.example.com/introspect',
    );
    assert.equal(redactOutboundUrl('not a url?key=k3y'), 'not a url?key=[REDACTED]');
  });

  it('applies to the url of a logged outbound error', () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', stream: logs });
    const err = new OutboundHttpError(
      'answered HTTP 500',
      'https://u:pa55@b.example/s?key=k3y',
      'http_status',
    );
    logger.warn({ err }, 'backend failed');
    assert.equal(logs.lines[0]!.includes('k3y'), false);
    assert.equal(logs.lines[0]!.includes('pa55'), false);
    assert.equal(logs.records()[0]!.err.url, 'https://[REDACTED]@b.example/s?key=[REDACTED]');
  });
});

describe('scrubSecrets', () => {
  it('replaces secret fields at any case and depth, without touching the original', () => {
    const original = {
      req: { headers: { Authorization: 'Bearer abc', host: 'sts' } },
      keys: [{ kty: 'oct', k: 'c2VjcmV0' }],
      body: { access_token: { sub: 'x' }, scope: 'read' },
    };
    assert.deepEqual(scrubSecrets(original), {
      req: { headers: { Authorization: '[REDACTED]', host: 'sts' } },
      keys: [{ kty: 'oct', k: '[REDACTED]' }],
      body: { access_token: '[REDACTED]', scope: 'read' },
    });
    assert.equal(original.req.headers.Authorization, 'Bearer abc');
    const clean = { a: 1, b: { c: [1, 2] } };
    assert.equal(scrubSecrets(clean), clean, 'nothing to hide: no copy');
  });

  it('redacts every listed name, request headers, OAuth parameters and private JWK members alike', () => {
    // Spelled out here rather than imported: dropping a name from the list must fail this test.
    const names = [
      'authorization proxy-authorization cookie set-cookie',
      'token access_token refresh_token id_token channel_token subject_token actor_token',
      'client_secret secret password private_key privatekey privatejwk master_key masterkey',
      'd p q dp dq qi k',
    ].flatMap((line) => line.split(' '));
    for (const name of names) {
      for (const spelling of [name, name.toUpperCase()]) {
        const scrubbed = scrubSecrets({ nested: { [spelling]: 'the-secret', kept: 'visible' } });
        assert.deepEqual(
          scrubbed,
          { nested: { [spelling]: '[REDACTED]', kept: 'visible' } },
          spelling,
        );
      }
    }
  });

  it('applies to logged errors carrying secret fields', () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', stream: logs });
    const err = Object.assign(new Error('refused'), { client_secret: BODY_SECRET });
    logger.error({ err }, 'failed');
    assert.equal(logs.lines.length, 1);
    assert.equal(logs.lines[0]!.includes(BODY_SECRET), false);
    assert.equal(logs.records()[0]!.err.message, 'refused');
  });
});
