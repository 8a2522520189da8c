import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, loadDeclarativeFile } from '../../src/config/config';
import { parseDurationSeconds } from '../../src/config/duration';
import { ConfigError } from '../../src/common/validation';
import { tempDir } from '../helpers';

function withFile(name: string, text: string): Record<string, string> {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  return { STS_CONFIG: file, STS_DATA_DIR: dir };
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('configuration was accepted');
}

describe('configuration', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({ STS_DATA_DIR: tempDir() });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.issuer, 'http://localhost:8080');
    assert.match(config.databaseUrl, /^sqlite:.*sts\.sqlite$/);
    assert.equal(config.production, false);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.file));
  });

  it('reads YAML and JSON files alike', () => {
    const yaml = loadConfig(
      withFile(
        'sts.yaml',
        'issuer: https://sts.example.com\nkeysets:\n  - name: edge\n    algorithm: ES256\n',
      ),
    );
    const json = loadConfig(
      withFile(
        'sts.json',
        JSON.stringify({
          issuer: 'https://sts.example.com',
          keysets: [{ name: 'edge', algorithm: 'ES256' }],
        }),
      ),
    );
    assert.equal(yaml.issuer, 'https://sts.example.com');
    assert.deepEqual({ ...yaml.file.keysets[0] }, { ...json.file.keysets[0] });
  });

  it('lists every problem with its path, including unknown keys', () => {
    const problems = problemsOf({
      ...withFile(
        'bad.yaml',
        [
          'issuer: not a url',
          'surprise: 1',
          'keysets:',
          '  - name: a',
          '    algorithm: none',
          '  - name: a',
          '    algorithm: RS256',
          '    colour: blue',
          'signers:',
          '  - name: s',
          '    keys-to-sign: []',
          '    jwk-url: https://keys.example.com/jwks.json',
        ].join('\n'),
      ),
      PORT: 'eighty',
    });
    const expected = [
      /^PORT: /,
      /^issuer: /,
      /^surprise: should not exist/,
      /^keysets\[0\]\.algorithm: /,
      /^keysets\[1\]\.colour: should not exist/,
      /^keysets\[1\]\.name: duplicate name "a"/,
      /^signers\[0\]\.keys-to-sign: /,
      /^signers\[0\]\.alg: alg is required with jwk-url/,
    ];
    for (const pattern of expected) {
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `missing ${pattern} in:\n${problems.join('\n')}`,
      );
    }
  });

  it('names members the path notation cannot spell plainly in brackets, the message without them', () => {
    const problems = problemsOf(
      withFile(
        'odd.json',
        JSON.stringify({ '': 1, keysets: [{ name: 'a', algorithm: 'ES256', 'a.b': 1 }] }),
      ),
    );
    assert.deepEqual(problems, ['[""]: should not exist', 'keysets[0]["a.b"]: should not exist']);
  });

  it('refuses reserved member names anywhere (class-transformer skipped them unseen or failed)', () => {
    const file = {
      profiles: [
        {
          name: 'p',
          access_token_jwks_uri: 'https://idp.example.com/jwks',
          channel_token_optional: true,
          constructor: true,
        },
      ],
      keysets: [{ name: 'k', algorithm: 'ES256', toString: 1 }],
      consumers: [{ username: 'alice', hasOwnProperty: 1 }],
    };
    const text = JSON.stringify(file).replace('"hasOwnProperty"', '"__proto__"');
    assert.deepEqual(problemsOf(withFile('reserved.json', text)).sort(), [
      'consumers[0].__proto__: is a reserved name',
      'keysets[0].toString: is a reserved name',
      'profiles[0].constructor: is a reserved name',
    ]);
  });

  it('reports credentials lists of the wrong shape instead of failing on them', () => {
    const problems = problemsOf(
      withFile(
        'consumers.json',
        JSON.stringify({
          consumers: [
            { username: 'a', jwt_secrets: 'not a list' },
            { username: 'b', jwt_secrets: [null, { key: 'k', algorithm: 'HS256', secret: 7 }] },
          ],
        }),
      ),
    );
    assert.ok(problems.length > 0);
    for (const problem of problems) assert.match(problem, /^consumers\[[01]\]\.jwt_secrets/);
  });

  it('rejects a file that is not a mapping and one that does not parse', () => {
    assert.match(problemsOf(withFile('list.yaml', '- 1\n- 2\n'))[0]!, /mapping of sections/);
    assert.match(problemsOf(withFile('broken.json', '{"keysets": ['))[0]!, /not valid YAML\/JSON/);
    assert.match(
      problemsOf({ STS_CONFIG: '/nonexistent/sts.yaml' })[0]!,
      /^STS_CONFIG: cannot read/,
    );
  });

  it('keeps profile, consumer and client sections for later capabilities', () => {
    const config = loadConfig(
      withFile(
        'sts.yaml',
        [
          'profiles:',
          '  - name: api',
          '    access_token_jwks_uri: https://idp.example.com/jwks',
          '    channel_token_optional: true',
          'consumers:',
          '  - username: alice',
          '    jwt_secrets: [{ key: alice-key, algorithm: HS256, secret: s3cr3t }]',
          'clients:',
          '  - client_id: c1',
          '    client_secret: x',
          '    profile: api',
        ].join('\n'),
      ),
    );
    assert.equal(config.file.profiles[0]!.access_token_jwks_uri, 'https://idp.example.com/jwks');
    assert.equal(config.file.consumers[0]!.jwt_secrets![0]!.key, 'alice-key');
    assert.equal(config.file.clients[0]!.profile, 'api');
  });

  it('parses durations the way operators write them', () => {
    assert.equal(parseDurationSeconds('30d'), 30 * 86400);
    assert.equal(parseDurationSeconds('1h'), 3600);
    assert.equal(parseDurationSeconds(90), 90);
    assert.equal(parseDurationSeconds('90'), 90);
    assert.equal(parseDurationSeconds('soon'), undefined);
    assert.equal(parseDurationSeconds(-1), undefined);
  });

  it('reads the operations variables', () => {
    const dir = tempDir();
    const defaults = loadConfig({ STS_DATA_DIR: dir });
    assert.equal(defaults.shutdownTimeoutMs, 10_000);
    assert.deepEqual({ ...defaults.rateLimit }, { limit: 300, windowMs: 60_000 });
    assert.deepEqual([...defaults.trustedProxies], ['loopback']);
    assert.equal(defaults.metricsToken, undefined);
    const set = loadConfig({
      STS_DATA_DIR: dir,
      STS_SHUTDOWN_TIMEOUT: '30s',
      STS_RATE_LIMIT_MAX: '20',
      STS_RATE_LIMIT_WINDOW: '10s',
      STS_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1',
      STS_METRICS_TOKEN: 'a-long-enough-scrape-token',
    });
    assert.equal(set.shutdownTimeoutMs, 30_000);
    assert.deepEqual({ ...set.rateLimit }, { limit: 20, windowMs: 10_000 });
    assert.deepEqual([...set.trustedProxies], ['10.0.0.0/8', '127.0.0.1']);
    const problems = problemsOf({
      STS_DATA_DIR: dir,
      STS_TRUSTED_PROXIES: 'everyone',
      STS_METRICS_TOKEN: 'short',
      STS_RATE_LIMIT_WINDOW: '0s',
      STS_SHUTDOWN_TIMEOUT: 'soon',
    });
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
      'STS_METRICS_TOKEN',
      'STS_RATE_LIMIT_WINDOW',
      'STS_SHUTDOWN_TIMEOUT',
      'STS_TRUSTED_PROXIES',
    ]);
  });
});

describe('shipped examples', () => {
  it('examples/sts.config.yaml passes the start-up validation', () => {
    const { problems } = loadDeclarativeFile(
      join(__dirname, '..', '..', '..', 'examples', 'sts.config.yaml'),
    );
    assert.deepEqual(problems, []);
  });
});
