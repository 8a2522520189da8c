import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import semver from 'semver';

const ROOT = join(__dirname, '..', '..');

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

// `npm ci` warns (EBADENGINE) for every installed package whose `engines.node` the running Node
// does not satisfy; the lowest Node we promise must satisfy all of them.
it('every installed package supports the lowest Node version package.json promises', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const lowest = semver.minVersion(manifest.engines.node);
  assert.ok(lowest, `engines.node "${manifest.engines.node}" has a lowest version`);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  const unsupported = Object.entries(lock.packages).flatMap(([path, locked]) => {
    const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
    if (range === undefined || semver.satisfies(lowest, range)) return [];
    return [`${path.replace(/^.*node_modules\//, '')}@${locked.version} needs Node ${range}`];
  });
  assert.deepEqual(unsupported, [], `Node ${lowest.version} is not enough for`);
});
