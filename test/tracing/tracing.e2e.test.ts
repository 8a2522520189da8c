import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/common/validation';
import {
  LogCapture,
  sendJson,
  startLocalServer,
  startSts,
  tempDir,
  type LocalServer,
  type TestSts,
} from '../helpers';
import { TestIdp } from '../idp';

/** OTLP/JSON as the exporter sends it (only the fields asserted here). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** OTLP's SpanKind numbers. */
const KIND = { internal: 1, server: 2, client: 3 } as const;

/** A local OTLP/HTTP receiver: keeps every export body it is sent, answers `status`. */
async function startReceiver(status = 200): Promise<LocalServer & { exports: () => OtlpExport[] }> {
  const server = await startLocalServer((_req, res) => sendJson(res, status, {}));
  return Object.assign(server, {
    exports: () =>
      server.requests
        .filter((r) => r.method === 'POST' && r.url === '/v1/traces')
        .map((r) => JSON.parse(r.body) as OtlpExport),
  });
}

const spansOf = (exports: OtlpExport[]): OtlpSpan[] =>
  exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value && Object.values(value)[0];
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A gateway's W3C trace context: a new trace, its calling span, sampled unless told. */
function gatewayTrace(sampled = true) {
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-0${sampled ? 1 : 0}` };
}

const OTEL_MODULE = /[\\/]node_modules[\\/]@opentelemetry[\\/](?!api[\\/])/;
const loadedOtelModules = () => Object.keys(require.cache).filter((path) => OTEL_MODULE.test(path));

describe('tracing off (the default)', () => {
  it('loads no OpenTelemetry SDK module, so requests run none of it', async () => {
    // First in this process: prom-client loads @opentelemetry/api (its exemplars), the SDK no one.
    const sts = await startSts({ file: { signers: [{ name: 'krakend', 'keys-to-sign': ['t'] }] } });
    try {
      assert.equal(sts.config.tracing, undefined);
      const res = await sts.inject({
        method: 'POST',
        url: '/token/krakend',
        headers: { 'content-type': 'application/json', traceparent: gatewayTrace().traceparent },
        payload: { t: { sub: 'a' } },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(loadedOtelModules(), []);
    } finally {
      await sts.cleanup();
    }
  });
});

describe('tracing configuration (standard OTEL_* variables)', () => {
  const settings = (env: Record<string, string>) =>
    loadConfig({ STS_DATA_DIR: tempDir(), ...env }).tracing;

  it('is on only with an OTLP endpoint, and OTEL_SDK_DISABLED=true turns it off', () => {
    assert.equal(settings({ OTEL_SERVICE_NAME: 'sts' }), undefined);
    assert.deepEqual(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), {
      endpoint: 'http://collector:4318/v1/traces',
      serviceName: 'open-sts',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    assert.equal(
      settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
      undefined,
    );
  });

  it('uses the traces endpoint as given, before the generic one gets /v1/traces', () => {
    assert.equal(
      settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/base/' })?.endpoint,
      'https://otlp.example.com/base/v1/traces',
    );
    assert.equal(
      settings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
      })?.endpoint,
      'https://traces.example.com/custom',
    );
  });

  it('reads the service name and sampler, and refuses values the specification does not have', () => {
    const traced = settings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'sts-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    assert.equal(traced?.serviceName, 'sts-eu');
    assert.equal(traced?.sampler, 'parentbased_traceidratio');
    assert.equal(traced?.samplerRatio, 0.25);
    assert.throws(
      () =>
        loadConfig({
          STS_DATA_DIR: tempDir(),
          OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
          OTEL_TRACES_SAMPLER: 'sometimes',
          OTEL_TRACES_SAMPLER_ARG: '2',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems.map((p) => p.path).sort(), [
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          'OTEL_TRACES_SAMPLER',
          'OTEL_TRACES_SAMPLER_ARG',
        ]);
        return true;
      },
    );
  });
});

describe('tracing on: spans over OTLP/HTTP, W3C trace context in and out', () => {
  const JWKS_API_KEY = 'jwks-api-key-SECRET-1';
  const JWKS_PASSWORD = 'jwks-password-SECRET-2';
  const INTROSPECTION_AUTHORIZATION = 'Bearer introspection-credential-SECRET-3';
  const OPAQUE_TOKEN = `opaque-${hex(16)}`;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let idp: TestIdp;
  let jwksServer: LocalServer;
  let introspection: LocalServer;
  let backend: LocalServer;
  let sts: TestSts;
  let exported: OtlpSpan[];
  let resource: OtlpExport['resourceSpans'][number]['resource'];
  /** Everything that must never reach the collector. */
  const secrets: string[] = [
    JWKS_API_KEY,
    JWKS_PASSWORD,
    INTROSPECTION_AUTHORIZATION,
    OPAQUE_TOKEN,
  ];
  const traces = {
    exchange: gatewayTrace(),
    verify: gatewayTrace(),
    authz: gatewayTrace(),
    krakend: gatewayTrace(),
    probe: gatewayTrace(),
  };

  before(async () => {
    receiver = await startReceiver();
    idp = await TestIdp.start();
    await idp.addKey('boot', 'ES256');
    jwksServer = await startLocalServer((_req, res) =>
      sendJson(res, 200, {
        keys: [idp.key('boot'), idp.key('later')].filter(Boolean).map((k) => k.publicJwk),
      }),
    );
    introspection = await startLocalServer((_req, res, body) =>
      sendJson(
        res,
        200,
        new URLSearchParams(body).get('token') === OPAQUE_TOKEN
          ? { active: true, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 }
          : { active: false },
      ),
    );
    backend = await startLocalServer((_req, res) =>
      sendJson(res, 200, { access_token: { sub: 'alice' }, note: 'kept' }),
    );
    const jwtProfile = {
      access_token_jwks_uri: `${jwksServer.url}/jwks.json?api_key=${JWKS_API_KEY}`,
      access_token_jwks_uri_client_username: 'sts',
      access_token_jwks_uri_client_password: JWKS_PASSWORD,
      channel_token_optional: true,
    };
    sts = await startSts({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'sts-under-test',
        // Each token signed with a new key fetches the JWKS again, inside its request.
        STS_JWKS_COOLDOWN: '0s',
      },
      file: {
        profiles: [
          { name: 'jwt', ...jwtProfile },
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${introspection.url}/introspect`,
            access_token_introspection_authorization: INTROSPECTION_AUTHORIZATION,
            channel_token_optional: true,
          },
        ],
        signers: [
          { name: 'krakend', backend: `${backend.url}/token`, 'keys-to-sign': ['access_token'] },
        ],
      },
    });

    await idp.addKey('later', 'ES256');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = await idp.sign({ sub: 'alice', exp }, 'later');
    secrets.push(jwt);
    const answers = [
      await sts.inject({
        method: 'POST',
        url: '/exchange/jwt',
        headers: { authorization: `Bearer ${jwt}`, traceparent: traces.exchange.traceparent },
      }),
      await sts.inject({
        method: 'POST',
        url: '/verify/opaque',
        headers: {
          authorization: `Bearer ${OPAQUE_TOKEN}`,
          traceparent: traces.verify.traceparent,
        },
      }),
      await sts.inject({
        url: '/authz/jwt/orders?tenant=acme-SECRET-4',
        headers: { authorization: `Bearer ${jwt}`, traceparent: traces.authz.traceparent },
      }),
      await sts.inject({
        method: 'POST',
        url: '/token/krakend',
        headers: { 'content-type': 'application/json', traceparent: traces.krakend.traceparent },
        payload: {},
      }),
    ];
    answers.push(
      await sts.inject({ url: '/health/live', headers: { traceparent: traces.probe.traceparent } }),
    );
    for (const res of answers) {
      assert.equal(res.statusCode, 200, res.body);
      secrets.push(...(res.body.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? []));
    }
    // Closing the app flushes the spans still queued.
    await sts.close();
    exported = spansOf(receiver.exports());
    resource = receiver.exports()[0]!.resourceSpans[0]!.resource;
  });
  after(async () => {
    await sts?.cleanup();
    for (const server of [receiver, jwksServer, introspection, backend]) await server?.close();
    await idp?.close();
  });

  const inTrace = (trace: { traceId: string }) =>
    exported.filter((span) => span.traceId === trace.traceId);
  const named = (spans: OtlpSpan[], name: string): OtlpSpan => {
    const found = spans.filter((span) => span.name === name);
    assert.equal(
      found.length,
      1,
      `one ${name} span in ${JSON.stringify(spans.map((s) => s.name))}`,
    );
    return found[0]!;
  };
  const traceparentSeenBy = (server: LocalServer, trace: { traceId: string }) =>
    server.requests
      .map((r) => r.headers.traceparent)
      .find((value) => typeof value === 'string' && value.split('-')[1] === trace.traceId);

  it('loads the SDK only now that tracing is on', () => {
    assert.notDeepEqual(loadedOtelModules(), []);
  });

  it("makes the request span the child of the gateway's traceparent, named by route template", () => {
    const spans = inTrace(traces.exchange);
    const server = named(spans, 'POST /exchange/:profile');
    assert.equal(server.kind, KIND.server);
    assert.equal(server.parentSpanId, traces.exchange.parentId);
    assert.equal(attribute(server, 'http.route'), '/exchange/:profile');
    assert.equal(attribute(server, 'http.response.status_code'), 200);
    assert.equal(attribute(server, 'sts.profile'), 'jwt');
    assert.equal(
      resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
      'sts-under-test',
    );
  });

  it('traces verification, the JWKS fetch it caused and the signing, and sends the JWKS fetch its traceparent', () => {
    const spans = inTrace(traces.exchange);
    const server = named(spans, 'POST /exchange/:profile');
    const verify = named(spans, 'sts.verify');
    const fetch = named(spans, 'sts.jwks.fetch');
    const sign = named(spans, 'sts.sign');
    assert.equal(verify.kind, KIND.internal);
    assert.equal(verify.parentSpanId, server.spanId);
    assert.equal(fetch.kind, KIND.client);
    assert.equal(fetch.parentSpanId, verify.spanId);
    assert.equal(attribute(fetch, 'url.full'), `${jwksServer.url}/jwks.json`);
    assert.equal(attribute(fetch, 'http.response.status_code'), 200);
    assert.equal(sign.kind, KIND.internal);
    assert.equal(sign.parentSpanId, server.spanId);
    assert.equal(typeof attribute(sign, 'sts.signing.kid'), 'string');
    assert.equal(
      traceparentSeenBy(jwksServer, traces.exchange),
      `00-${traces.exchange.traceId}-${fetch.spanId}-01`,
    );
  });

  it('sends the introspection endpoint the traceparent of its CLIENT span', () => {
    const spans = inTrace(traces.verify);
    const server = named(spans, 'POST /verify/:profile');
    const verify = named(spans, 'sts.verify');
    const call = named(spans, 'sts.introspection');
    assert.equal(server.parentSpanId, traces.verify.parentId);
    assert.equal(verify.parentSpanId, server.spanId);
    assert.equal(call.kind, KIND.client);
    assert.equal(call.parentSpanId, verify.spanId);
    assert.equal(attribute(call, 'http.request.method'), 'POST');
    assert.equal(
      traceparentSeenBy(introspection, traces.verify),
      `00-${traces.verify.traceId}-${call.spanId}-01`,
    );
  });

  it('keeps the trace through forward-auth (a Fastify route) and the KrakenD backend call', () => {
    const authz = inTrace(traces.authz);
    const server = named(authz, 'GET /authz/:profile/*');
    assert.equal(server.parentSpanId, traces.authz.parentId);
    assert.equal(named(authz, 'sts.verify').parentSpanId, server.spanId);

    const krakend = inTrace(traces.krakend);
    const call = named(krakend, 'sts.signer.backend');
    assert.equal(call.parentSpanId, named(krakend, 'POST /token/:signer').spanId);
    assert.equal(named(krakend, 'sts.sign').parentSpanId, call.parentSpanId);
    assert.equal(
      traceparentSeenBy(backend, traces.krakend),
      `00-${traces.krakend.traceId}-${call.spanId}-01`,
    );
  });

  it('leaves health probes and metric scrapes untraced', () => {
    assert.deepEqual(inTrace(traces.probe), []);
  });

  it('traces the boot-time JWKS fetch as a trace of its own', () => {
    const boot = exported.filter((span) => span.name === 'sts.jwks.fetch' && !span.parentSpanId);
    assert.equal(boot.length, 1);
    assert.equal(boot[0]!.kind, KIND.client);
  });

  it('exports no token, credential or query string', () => {
    const sent = receiver.requests.map((r) => r.body).join('\n');
    assert.ok(secrets.length >= 8, `${secrets.length} secrets collected`);
    for (const secret of secrets) assert.ok(!sent.includes(secret), `exported: ${secret}`);
    assert.ok(!sent.includes(Buffer.from(`sts:${JWKS_PASSWORD}`).toString('base64')));
    assert.ok(!sent.includes('acme-SECRET-4'));
    assert.ok(!sent.includes('api_key'));
  });
});

describe('tracing samplers and export failures', () => {
  const run = async (env: Record<string, string>, traceparent: string, receiverStatus = 200) => {
    const receiver = await startReceiver(receiverStatus);
    const logs = new LogCapture();
    const sts = await startSts({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env },
      logStream: logs,
      file: { signers: [{ name: 'krakend', 'keys-to-sign': ['t'] }] },
    });
    const res = await sts.inject({
      method: 'POST',
      url: '/token/krakend',
      headers: { 'content-type': 'application/json', traceparent },
      payload: { t: { sub: 'a' } },
    });
    assert.equal(res.statusCode, 200, res.body);
    await sts.cleanup();
    await receiver.close();
    return { spans: spansOf(receiver.exports()), logs: logs.records() };
  };

  it('follows the gateway: an unsampled traceparent exports nothing (parentbased_always_on)', async () => {
    assert.equal((await run({}, gatewayTrace(false).traceparent)).spans.length, 0);
    assert.ok((await run({}, gatewayTrace(true).traceparent)).spans.length > 0);
  });

  it('exports nothing with OTEL_TRACES_SAMPLER=always_off', async () => {
    const { spans } = await run(
      { OTEL_TRACES_SAMPLER: 'always_off' },
      gatewayTrace(true).traceparent,
    );
    assert.equal(spans.length, 0);
  });

  it('logs when the collector refuses spans', async () => {
    const { logs } = await run({}, gatewayTrace().traceparent, 400);
    const failing = logs.find((line) => String(line.msg).startsWith('trace export failing'));
    assert.ok(failing, JSON.stringify(logs.map((line) => line.msg as unknown)));
    assert.equal(failing.level, 'warn');
    assert.match(String(failing.endpoint), /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
  });
});
