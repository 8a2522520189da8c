/**
 * How deep JSON may nest wherever it comes in: tokens, request bodies, the configuration. Real
 * documents nest a few levels; thousands fit in a few kilobytes, and serializing them (an answer,
 * a token to sign) or transforming them (class-transformer) exhausts the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `max` levels (the value itself is level 1). */
export function nestsDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  // Iterative: the value may be exactly as deep as recursion cannot go.
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}
