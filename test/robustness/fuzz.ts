import type { TestContext } from 'node:test';
import type fc from 'fast-check';

/**
 * Property tests run with a fixed seed and a bounded number of runs, so `npm test` is
 * deterministic and quick. Explore with another seed or more runs:
 *
 *   STS_FUZZ_SEED=42 STS_FUZZ_SCALE=20 node --test dist/test/robustness/*.test.js
 *
 * A failure prints fast-check's seed and path (its counterexample): run again with that seed.
 */
export const FUZZ_SEED = Number(process.env.STS_FUZZ_SEED ?? 20_260_101);
const SCALE = Number(process.env.STS_FUZZ_SCALE ?? 1);

/** fast-check parameters for a property of `runs` runs at scale 1; the test output says how many. */
export function fuzz<T>(t: TestContext, runs: number): fc.Parameters<T> {
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  t.diagnostic(`fast-check: ${numRuns} runs, seed ${FUZZ_SEED}`);
  return { seed: FUZZ_SEED, numRuns };
}
