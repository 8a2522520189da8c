import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { ConfigError, type ConfigProblem } from '../../src/common/validation';
import { ENV_KEYS, loadConfig, loadDeclarativeFile } from '../../src/config/config';
import { tempDir } from '../helpers';
import { fuzz } from './fuzz';

/**
 * Properties of the configuration loader: on any file — random JSON, random YAML text, or a
 * valid file with random edits (values replaced, members deleted, renamed or added, prototype
 * names included) — and any environment, it never throws anything but its ConfigError, and every
 * problem names a path: `(file)` for the file as a whole, an environment variable, or a path
 * (`profiles[1].access_token_leeway`) whose parent exists in what was given.
 */
const VALID = {
  issuer: 'https://sts.example.com',
  keysets: [
    {
      name: 'edge',
      algorithm: 'ES256',
      rotation: { period: '30d', prepublish: '1h', retain: 2, max_token_lifetime: '1h' },
    },
    { name: 'hmac', algorithm: 'HS256' },
  ],
  signers: [
    { name: 'krakend', keyset: 'edge', keys_to_sign: ['access_token', 'refresh_token'] },
    { name: 'full', keyset: 'hmac', 'keys-to-sign': ['id_token'], full: true, typ: 'at+jwt' },
  ],
  profiles: [
    {
      name: 'api',
      realm: 'api.example.com',
      access_token_jwks_uri: 'https://idp.example.com/jwks',
      access_token_issuers_allowed: ['https://idp.example.com'],
      access_token_scopes_required: ['employee demo-service', 'superadmin'],
      access_token_consumer_claim: ['sub'],
      access_token_leeway: 30,
      channel_token_optional: true,
    },
    {
      name: 'two-tokens',
      access_token_introspection_endpoint: 'https://idp.example.com/introspect',
      access_token_introspection_authorization: 'Basic YWRtaW46YWRtaW4=',
      channel_token_jwks_uri: 'https://idp.example.com/jwks',
      channel_token_request_header: 'X-JWT-channel-client',
      channel_token_upstream_header: 'X-JWT-channel-upstream',
    },
    {
      name: 'kong-jwt',
      credentials: { claims_to_verify: ['exp'], maximum_expiration: 3600 },
      upstream_jwt: { keyset: 'edge', ttl: 60 },
      channel_token_optional: true,
    },
  ],
  consumers: [
    {
      username: 'alice',
      custom_id: 'A-1',
      jwt_secrets: [{ key: 'alice-key', algorithm: 'HS256', secret: 'change-me' }],
    },
  ],
  clients: [
    {
      client_id: 'svc',
      client_secret: 'svc-secret',
      profile: 'api',
      audiences: ['https://orders.example.com'],
      scopes: ['read'],
    },
  ],
};

/** Every path into a value: `['profiles', 0, 'realm']`. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const children = Array.isArray(value)
    ? value.map((item, index) => pathsOf(item, [...at, index]))
    : Object.entries(value).map(([name, item]) => pathsOf(item, [...at, name]));
  return [at, ...children.flat()];
}
const PATHS = pathsOf(VALID).filter((path) => path.length > 0);

/** Sets a member as an own property, `__proto__` included (as JSON.parse would). */
const put = (target: object, name: string | number, value: unknown) =>
  Object.defineProperty(target, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, '', -1, 0, 1.5, 1e308, true, [], {}, '[REDACTED]', '30x', '0s'),
  fc.constantFrom('http://evil.example.com', 'file:///etc/passwd', '../../etc/passwd', 'RS1'),
  fc.string({ maxLength: 3000 }),
);
const memberName = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_-]{0,20}$/),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
);

type Edit =
  | { op: 'set'; path: (string | number)[]; value: unknown }
  | { op: 'delete'; path: (string | number)[] }
  | { op: 'rename' | 'add'; path: (string | number)[]; name: string; value: unknown };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...PATHS), value }),
  fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...PATHS) }),
  fc.record({
    op: fc.constantFrom('rename' as const, 'add' as const),
    path: fc.constantFrom(...PATHS),
    name: memberName,
    value,
  }),
);

type Node = Record<string | number, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;

/** A copy of VALID with the edits applied (an edit whose path no longer exists does nothing). */
function edited(edits: readonly Edit[]): unknown {
  const root = structuredClone(VALID) as Node;
  for (const e of edits) {
    let parent: unknown = root;
    for (const step of e.path.slice(0, -1)) parent = isNode(parent) ? parent[step] : undefined;
    const last = e.path.at(-1)!;
    if (!isNode(parent) || !Object.hasOwn(parent, last)) continue;
    if (e.op === 'set') put(parent, last, e.value);
    else if (e.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = e.op === 'add' ? parent[last] : parent;
      if (!isNode(target) || Array.isArray(target)) continue;
      if (e.op === 'rename') delete target[last];
      put(target, e.name, e.value);
    }
  }
  return root;
}

/** `profiles[1].credentials["a b"]` → ['profiles', 1, 'credentials', 'a b']. */
const stepsOf = (path: string): (string | number)[] =>
  [...path.matchAll(/\[("(?:[^"\\]|\\.)*")\]|\[(\d+)\]|([^.[\]]+)/g)].map(
    ([, quoted, index, name]) =>
      quoted !== undefined
        ? (JSON.parse(quoted) as string)
        : index !== undefined
          ? Number(index)
          : name!,
  );

/** Every problem has a message and a path whose parent exists in `input` (or is the file's). */
function assertNamed(problems: readonly ConfigProblem[], input: unknown): void {
  for (const { path, message } of problems) {
    assert.ok(message.length > 0, `a message for ${path}`);
    assert.ok(path.length > 0, `a path for "${message}"`);
    assert.doesNotMatch(message, /^property /, `the path, not the message, names it: ${path}`);
    if (path === '(file)' || path === 'STS_CONFIG' || /^[A-Z_]+$/.test(path)) continue;
    let node: unknown = input;
    for (const step of stepsOf(path).slice(0, -1)) {
      assert.ok(
        isNode(node) && Object.hasOwn(node, step),
        `"${path}: ${message}" names a parent the file does not have`,
      );
      node = node[step];
    }
  }
}

describe('configuration loader (fast-check)', () => {
  const dir = tempDir('sts-config-fuzz-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `data` as JSON or YAML and loads it the way start-up does. */
  const load = (text: string, extension: 'json' | 'yaml') => {
    const file = join(dir, `sts.config.${extension}`);
    writeFileSync(file, text);
    return loadDeclarativeFile(file).problems;
  };

  it('takes the valid file the edits start from', () => {
    assert.deepEqual(load(JSON.stringify(VALID), 'json'), []);
  });

  it('a valid file with random edits: every problem named by a path the file has', (t) => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, yaml) => {
        const input = edited(edits);
        const text = yaml ? toYaml(input) : JSON.stringify(input);
        assertNamed(load(text, yaml ? 'yaml' : 'json'), JSON.parse(JSON.stringify(input)));
      }),
      fuzz(t, 400),
    );
  });

  it('any JSON document: never a crash, every problem named', (t) => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (input) => {
        assertNamed(load(JSON.stringify(input), 'json'), input);
      }),
      fuzz(t, 200),
    );
  });

  it('any YAML-looking text: never a crash, every problem named', (t) => {
    const yamlish = fc.string({
      unit: fc.constantFrom(...'abc:-[]{},&*!|>\'"%@`#?\n  \t0123456789.~<<'),
      maxLength: 300,
    });
    fc.assert(
      fc.property(yamlish, (text) => {
        const problems = load(text, 'yaml');
        for (const { path, message } of problems) assert.ok(path && message, `${path}: ${message}`);
      }),
      fuzz(t, 300),
    );
  });

  it('any environment: only ConfigError, every problem named', (t) => {
    const variables = ENV_KEYS.filter((name) => name !== 'STS_CONFIG' && name !== 'STS_DATA_DIR');
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...variables),
          fc.oneof(
            value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
            fc.string(),
          ),
        ),
        fc.array(edit, { maxLength: 2 }),
        (env, edits) => {
          const file = join(dir, 'env.config.json');
          writeFileSync(file, JSON.stringify(edited(edits)));
          try {
            loadConfig({ ...env, STS_CONFIG: file, STS_DATA_DIR: dir });
          } catch (err) {
            assert.ok(err instanceof ConfigError, String((err as Error).stack));
            for (const { path, message } of err.problems) assert.ok(path && message);
          }
        },
      ),
      fuzz(t, 200),
    );
  });
});
