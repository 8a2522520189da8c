/**
 * The one builder of `WWW-Authenticate` values. RFC 6750 §3 allows only %x20-21 / %x23-5B /
 * %x5D-7E inside the quoted values; anything else (quotes, backslashes, control or non-ASCII
 * characters, e.g. from a Host header) is replaced.
 */
const quoted = (value: string): string =>
  `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;

export function challenge(
  scheme: 'Bearer' | 'Basic',
  params: readonly (readonly [name: string, value: string | undefined])[],
): string {
  const present = params.filter(([, value]) => value !== undefined);
  return `${scheme} ${present.map(([name, value]) => `${name}=${quoted(value!)}`).join(', ')}`;
}

/** `Bearer realm="…"[, error="…"[, error_description="…"]]`. */
export const bearerChallenge = (realm: string, error?: string, description?: string): string =>
  challenge('Bearer', [
    ['realm', realm],
    ['error', error],
    ['error_description', error ? description : undefined],
  ]);

/** RFC 7617: `Basic realm="…", charset="UTF-8"` (client ids and secrets are UTF-8). */
export const basicChallenge = (realm: string): string =>
  challenge('Basic', [
    ['realm', realm],
    ['charset', 'UTF-8'],
  ]);
