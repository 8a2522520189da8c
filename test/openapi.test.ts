import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { ADMIN_PREFIXES } from '../src/admin/admin-controller.decorator';
import { generateOpenApi, OPENAPI_FILE } from '../src/cli/openapi';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/common/errors';

interface Operation {
  operationId: string;
  description?: string;
  security?: Record<string, string[]>[];
  responses: Record<
    string,
    { content?: Record<string, { schema?: { $ref?: string }; example?: Record<string, string> }> }
  >;
}
interface Document {
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme?: string; description?: string }>;
  };
}

describe('the OpenAPI document', () => {
  let generated: string;
  let document: Document;
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );
  const securityOf = (path: string, method: string) => document.paths[path]![method]!.security;

  before(async () => {
    generated = await generateOpenApi();
    document = JSON.parse(generated) as Document;
  });

  it('is committed as openapi/openapi.json, up to date with the code (run `npm run openapi`)', () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    assert.deepEqual(JSON.parse(committed), JSON.parse(generated));
    assert.equal(document.paths['/token/{signer}']!.post!.operationId, 'sign');
  });

  it('names only declared schemes in every security requirement', () => {
    const declared = new Set(Object.keys(document.components.securitySchemes));
    const requirements = [
      ...(document.security ?? []).map((requirement) => ({ at: 'document', requirement })),
      ...operations().flatMap(({ path, method, operation }) =>
        (operation.security ?? []).map((requirement) => ({ at: `${method} ${path}`, requirement })),
      ),
    ];
    assert.ok(requirements.length > 40);
    for (const { at, requirement } of requirements)
      for (const scheme of Object.keys(requirement))
        assert.ok(declared.has(scheme), `${at}: ${scheme}`);
  });

  it('offers HTTP Basic for the OAuth endpoints, whose form fields may carry the client instead', () => {
    const { client } = document.components.securitySchemes;
    assert.deepEqual([client?.type, client?.scheme], ['http', 'basic']);
    for (const path of ['/exchange', '/introspect']) {
      assert.deepEqual(securityOf(path, 'post'), [{ client: [] }, {}], path);
      assert.match(String(document.paths[path]!.post!.description), /client_secret_post/, path);
    }
  });

  it('offers Bearer for the admin API, Kong’s key paths and /metrics, each naming its token', () => {
    const { admin, metrics } = document.components.securitySchemes;
    assert.deepEqual([admin?.type, admin?.scheme], ['http', 'bearer']);
    assert.match(String(admin?.description), /STS_ADMIN_TOKEN/);
    assert.deepEqual([metrics?.type, metrics?.scheme], ['http', 'bearer']);
    assert.match(String(metrics?.description), /STS_METRICS_TOKEN/);
    const adminOperations = operations().filter(({ path }) =>
      ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix)),
    );
    assert.ok(adminOperations.length > 30);
    for (const { path, method, operation } of adminOperations)
      assert.deepEqual(operation.security, [{ admin: [] }], `${method} ${path}`);
    assert.deepEqual(securityOf('/metrics', 'get'), [{ metrics: [] }, {}]);
  });

  it('offers the access token as Bearer on the token endpoints, with their 404', () => {
    for (const [path, method] of [
      ['/verify/{profile}', 'post'],
      ['/exchange/{profile}', 'post'],
      ['/authz/{profile}', 'get'],
    ] as const)
      assert.deepEqual(securityOf(path, method), [{ token: [] }, {}], path);
    assert.ok(document.paths['/exchange/{profile}']!.post!.responses['404']);
  });

  it('documents forward-auth once, for every method', () => {
    assert.deepEqual(
      Object.keys(document.paths).filter((path) => path.startsWith('/authz')),
      ['/authz/{profile}'],
    );
    assert.deepEqual(Object.keys(document.paths['/authz/{profile}']!), ['get']);
  });

  it('gives every error answer an example the service sends: its status and error by code', () => {
    let checked = 0;
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.schema?.$ref !== '#/components/schemas/ErrorResponse') continue;
          const at = `${method} ${path} ${status}`;
          assert.equal(type, 'application/json', at);
          const example = media.example;
          assert.ok(example, `${at} has an example`);
          const entry = ERROR_CATALOGUE[example.code as ErrorCode];
          assert.ok(entry, `${at}: ${example.code} is in the catalogue`);
          assert.equal(Number(status), entry.status, at);
          assert.equal(example.error, entry.error, at);
          assert.equal(typeof example.error_description, 'string', at);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `${checked} error answers`);
  });
});
