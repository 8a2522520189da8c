import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDurationSeconds } from '../../src/config/duration';
import { DEFAULT_ROTATION, rotationProblem, toRotationSettings } from '../../src/config/rotation';
import {
  dueStep,
  RETENTION_LEEWAY_SECONDS,
  type KeyTimeline,
} from '../../src/keys/rotation-policy';

const H = 3600 * 1000;
const settings = toRotationSettings({ period: '1d', prepublish: '1h', retain: 1 });
const current = (activeFrom: number, generation = 1): KeyTimeline => ({
  kid: `k${generation}`,
  status: 'current',
  generation,
  activeFrom,
  retiredAt: null,
});
const previous = (generation: number, retiredAt: number): KeyTimeline => ({
  kid: `k${generation}`,
  status: 'previous',
  generation,
  activeFrom: null,
  retiredAt,
});

describe('rotation policy', () => {
  it('pre-publishes exactly prepublish before the period ends, and promotes exactly at it', () => {
    assert.equal(dueStep([current(0)], settings, 23 * H - 1), undefined);
    assert.deepEqual(dueStep([current(0)], settings, 23 * H), {
      kind: 'prepublish',
      activeFrom: 24 * H,
    });
    const next: KeyTimeline = {
      kid: 'k2',
      status: 'next',
      generation: 2,
      activeFrom: 24 * H,
      retiredAt: null,
    };
    assert.equal(dueStep([current(0), next], settings, 24 * H - 1), undefined);
    assert.deepEqual(dueStep([current(0), next], settings, 24 * H), {
      kind: 'promote',
      kid: 'k2',
    });
  });

  it('never lets a key sign less than prepublish after it was published, even when late', () => {
    const late = 24 * H + 5 * 60 * 1000;
    assert.deepEqual(dueStep([current(0)], settings, late), {
      kind: 'prepublish',
      activeFrom: late + H,
    });
  });

  it('keeps retired keys for retain generations or until their tokens expired, whichever is longer', () => {
    const retain0 = toRotationSettings({ retain: 0, max_token_lifetime: '2h' });
    const keys = [current(10 * H, 3), previous(2, 10 * H), previous(1, 5 * H)];
    const expiry = (retiredAt: number) => retiredAt + 2 * H + RETENTION_LEEWAY_SECONDS * 1000;
    assert.equal(dueStep(keys, retain0, expiry(5 * H) - 1), undefined);
    assert.deepEqual(dueStep(keys, retain0, expiry(5 * H)), { kind: 'prune', kids: ['k1'] });
    assert.deepEqual(dueStep(keys, retain0, expiry(10 * H)), {
      kind: 'prune',
      kids: ['k2', 'k1'],
    });
    // retain 1 keeps the newest previous key however old it is.
    const retain1 = { ...retain0, retain: 1 };
    assert.deepEqual(dueStep(keys, retain1, expiry(10 * H) + 100 * H), {
      kind: 'prune',
      kids: ['k1'],
    });
  });

  it('keeps a retired keyset, retain aside, until its last tokens expired, then removes it', () => {
    const retain2 = toRotationSettings({ period: '1d', retain: 2, max_token_lifetime: '2h' });
    const keys = [previous(3, 30 * H), previous(2, 20 * H), previous(1, 10 * H)];
    const end = 30 * H + 2 * H + RETENTION_LEEWAY_SECONDS * 1000;
    assert.equal(dueStep(keys, retain2, end - 1, 30 * H), undefined, 'no prune, no prepublish');
    assert.deepEqual(dueStep(keys, retain2, end, 30 * H), { kind: 'remove' });
  });

  it('does nothing on a manual-only keyset', () => {
    assert.equal(dueStep([current(0)], DEFAULT_ROTATION, 1000 * 24 * H), undefined);
  });

  it('reads settings: absent keeps, null restores the default, period 0 is manual', () => {
    const base = toRotationSettings({ period: '30d', prepublish: '2h', retain: 3 });
    assert.deepEqual(toRotationSettings({ retain: 5 }, base), { ...base, retain: 5 });
    assert.deepEqual(toRotationSettings({ period: null, prepublish: null }, base), {
      ...base,
      periodSeconds: null,
      prepublishSeconds: DEFAULT_ROTATION.prepublishSeconds,
    });
    assert.equal(toRotationSettings({ period: 0 }).periodSeconds, null);
    assert.match(
      rotationProblem(toRotationSettings({ period: '1h', prepublish: '1h' }))!.message,
      /shorter than period/,
    );
    assert.equal(rotationProblem(base), null);
  });

  it('writes durations canonically, so they read back the same', () => {
    for (const [seconds, text] of [
      [2592000, '30d'],
      [3600, '1h'],
      [900, '15m'],
      [90, '90s'],
      [0, '0s'],
    ] as const) {
      assert.equal(formatDuration(seconds), text);
      assert.equal(parseDurationSeconds(text), seconds);
    }
  });
});
