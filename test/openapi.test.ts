import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { generateOpenApi, OPENAPI_FILE } from '../src/cli/openapi';

it('openapi/openapi.json is up to date with the code (run `npm run openapi`)', async () => {
  const generated = await generateOpenApi();
  const committed = readFileSync(OPENAPI_FILE, 'utf8');
  assert.deepEqual(JSON.parse(committed), JSON.parse(generated));
  const document = JSON.parse(generated) as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };
  assert.equal(document.paths['/token/{signer}']!.post!.operationId, 'sign');
});
