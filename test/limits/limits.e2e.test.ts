import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HEADERS_TIMEOUT_MS, SERVER_LIMITS } from '../../src/limits/server-limits';
import { ProbeRoutesModule } from '../probe-routes';
import { startSts, type TestSts } from '../helpers';

describe('limits', () => {
  let sts: TestSts;
  before(async () => {
    sts = await startSts({
      extraModules: [ProbeRoutesModule],
      env: { STS_RATE_LIMIT_MAX: '3', STS_RATE_LIMIT_WINDOW: '1m' },
    });
  });
  after(() => sts.cleanup());

  const limited = (remoteAddress: string) =>
    sts.inject({ method: 'POST', url: '/probe/limited', remoteAddress });

  it('rate-limits a @RateLimited() route per client with 429, our error shape and Retry-After', async () => {
    for (let i = 1; i <= 3; i++) {
      const ok = await limited('10.0.0.1');
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['x-ratelimit-limit'], '3');
      assert.equal(ok.headers['x-ratelimit-remaining'], String(3 - i));
    }
    const over = await limited('10.0.0.1');
    assert.equal(over.statusCode, 429);
    assert.deepEqual(over.json(), {
      error: 'too_many_requests',
      error_description: 'too many requests from this client; retry later',
      code: 'ERR_RATE_LIMITED',
    });
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(over.headers['cache-control'], 'no-store');
    assert.equal((await limited('10.0.0.2')).statusCode, 200, 'another client is not affected');
  });

  it('leaves routes without the decorator alone', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await sts.inject({ url: '/jwks', remoteAddress: '10.0.0.1' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-limit'], undefined);
    }
  });

  it('applies a per-route body limit with @BodyLimit()', async () => {
    const post = (bytes: number) =>
      sts.inject({
        method: 'POST',
        url: '/probe/small',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ pad: 'x'.repeat(bytes) }),
      });
    assert.equal((await post(900)).statusCode, 200);
    const tooLarge = await post(2000);
    assert.equal(tooLarge.statusCode, 413);
    assert.deepEqual(tooLarge.json(), {
      error: 'payload_too_large',
      error_description: 'request body exceeds 1024 bytes',
      code: 'ERR_PAYLOAD_TOO_LARGE',
    });
    // The global 1 MiB limit still governs every other route.
    const big = await sts.inject({
      method: 'POST',
      url: '/token/default-less',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });
    assert.equal(big.statusCode, 404, 'parsed (then unknown signer), not refused for size');
  });

  it('runs the HTTP server with the documented timeouts', () => {
    const server = sts.app.getHttpServer();
    assert.equal(server.requestTimeout, SERVER_LIMITS.requestTimeout);
    assert.equal(server.keepAliveTimeout, SERVER_LIMITS.keepAliveTimeout);
    assert.equal(server.timeout, SERVER_LIMITS.connectionTimeout);
    assert.equal(server.maxRequestsPerSocket, SERVER_LIMITS.maxRequestsPerSocket);
    assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
  });

  it('answers URLs Fastify cannot route in our error model; long path parameters reach the route', async () => {
    for (const url of [
      '/jwks/%zz',
      `/jwks/${'k'.repeat(SERVER_LIMITS.routerOptions.maxParamLength + 1)}`,
    ]) {
      const res = await sts.inject({ url });
      assert.equal(res.statusCode, 400, url.slice(0, 40));
      assert.equal(res.json<{ code: string }>().code, 'ERR_INVALID_REQUEST');
    }
    // A 255-character name (a Kong username may be that long) is looked up, not cut off.
    const long = await sts.inject({ url: `/jwks/${'k'.repeat(255)}` });
    assert.equal(long.statusCode, 404);
    assert.equal(long.json<{ code: string }>().code, 'ERR_NOT_FOUND');
  });

  it('refuses a JSON body nesting deeper than 64 levels with 400 (it overflowed the stack: 500)', async () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const post = (url: string, payload: string) =>
      sts.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
    for (const url of ['/exchange/any', '/token/default', '/verify/any']) {
      const deep = await post(url, `{"access_token":{"claims":${nested(5000)}}}`);
      assert.equal(deep.statusCode, 400, `${url}: ${deep.body}`);
      assert.deepEqual(deep.json(), {
        error: 'invalid_request',
        error_description: 'the JSON body nests deeper than 64 levels',
        code: 'ERR_INVALID_REQUEST',
      });
    }
    // At the limit (the body object is level 1) the body reaches the route.
    const atLimit = await post('/verify/any', `{"x":${nested(63)}}`);
    assert.equal(atLimit.json<{ code: string }>().code, 'ERR_NOT_FOUND');
  });

  it("answers what Node's HTTP parser refuses in our error model, then closes", async () => {
    await sts.app.listen(0, '127.0.0.1');
    const server = sts.app.getHttpServer();
    const { port } = new URL(await sts.app.getUrl());
    /** Sends raw bytes (or has the server raise `clientError` itself) and reads until close. */
    const exchange = (bytes: string, raise?: Error) =>
      new Promise<string>((resolve, reject) => {
        if (raise)
          server.once('connection', (socket: Socket) => server.emit('clientError', raise, socket));
        const client = connect(Number(port), '127.0.0.1', () => client.write(bytes));
        let answer = '';
        client.on('data', (chunk) => (answer += chunk.toString('utf8')));
        client.on('close', () => resolve(answer));
        client.on('error', reject);
      });
    const parse = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n');
      return { head: head!, body: JSON.parse(body!) as { code: string; error: string } };
    };

    const malformed = parse(await exchange('GET /jwks HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n'));
    assert.match(malformed.head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(malformed.head, /\r\nConnection: close(\r\n|$)/);
    assert.equal(malformed.body.code, 'ERR_INVALID_REQUEST');

    // Node raises this once requestTimeout (30 s) has passed without a whole request.
    const timeout = Object.assign(new Error('Request timeout'), {
      code: 'ERR_HTTP_REQUEST_TIMEOUT',
    });
    const late = parse(await exchange('GET /jwks HTTP/1.1\r\n', timeout));
    assert.match(late.head, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.deepEqual(late.body, {
      error: 'request_timeout',
      error_description: 'the request did not arrive in time',
      code: 'ERR_REQUEST_TIMEOUT',
    });
  });
});

describe('limits behind a trusted proxy (STS_TRUSTED_PROXIES)', () => {
  let sts: TestSts;
  before(async () => {
    sts = await startSts({
      extraModules: [ProbeRoutesModule],
      env: { STS_RATE_LIMIT_MAX: '1', STS_TRUSTED_PROXIES: '127.0.0.1' },
    });
  });
  after(() => sts.cleanup());

  const via = (remoteAddress: string, client: string) =>
    sts.inject({
      method: 'POST',
      url: '/probe/limited',
      remoteAddress,
      headers: { 'x-forwarded-for': client },
    });

  it('counts the forwarded client of a trusted proxy, and ignores the header from others', async () => {
    assert.equal((await via('127.0.0.1', '192.0.2.1')).statusCode, 200);
    assert.equal((await via('127.0.0.1', '192.0.2.2')).statusCode, 200, 'a different client');
    assert.equal((await via('127.0.0.1', '192.0.2.1')).statusCode, 429);
    assert.equal((await via('198.51.100.7', '192.0.2.3')).statusCode, 200);
    assert.equal(
      (await via('198.51.100.7', '192.0.2.4')).statusCode,
      429,
      'an untrusted peer cannot pick its identity',
    );
  });
});
