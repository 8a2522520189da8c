import { constants, createHmac, type KeyObject, sign as cryptoSign } from 'node:crypto';
import { CompactEncrypt, importJWK, type JWK } from 'jose';

/**
 * The language of the attack corpus (test/fixtures/attacks/*.json): tokens are written as recipes
 * and built at test time with keys generated then, so the corpus holds no key material.
 *
 * Placeholders, in any string of a recipe: `{{now}}` / `{{now+300}}` / `{{now-60}}` (the test
 * clock in epoch seconds, with an offset), `{{issuer}}`, `{{audience}}` (what the profiles
 * allow), `{{attacker}}` (the URL of a server that must never be called), `{{too_deep}}` and
 * `{{deepest}}` (JSON arrays nested 2500 levels, and 63: 64 with the object around them, the
 * limit). In claims and header
 * values, `{"$now": 300}` is the number now + 300, `{"$repeat": "k", "times": 1025}` that string
 * repeated, `{"$jwk": "attacker-rs"}` the public JWK of a key.
 */
export interface TokenRecipe {
  /** A literal token (after placeholders); `{"repeat": "a", "times": 9000}` for sizes. */
  raw?: string | Repeat;
  /**
   * Who signs: a key name (`idp-rs`, `idp-es`, `idp-ed`, `idp-hs`, `attacker-rs`, `attacker-es`,
   * `credential-hs`, `credential-rs`), `none` (empty signature), or an HMAC with the bytes of a
   * public key: `hmac:pem:<key>` (its SPKI PEM), `hmac:jwk:<key>` (its public JWK as JSON), or
   * with a guessed secret: `hmac:text:<secret>` (possibly empty). Default: `idp-rs`.
   */
  sign?: string;
  /** Header members over the default `{alg: <the key's>, kid: <the key's>, typ: "JWT"}`. */
  header?: Record<string, unknown>;
  headerOmit?: string[];
  /** The header's exact JSON text instead (duplicate members, non-objects, not JSON at all). */
  headerJson?: string;
  /** Claims over the defaults: a valid token for the `api` profile. */
  claims?: Record<string, unknown>;
  claimsOmit?: string[];
  /** The payload's exact text instead of JSON-encoded claims. */
  payloadText?: string;
  /** The payload is this other token, compact (a nested JWT, RFC 7519 §5.2). */
  payloadToken?: TokenRecipe;
  /** The signature segment of this other token replaces ours. */
  signatureOf?: TokenRecipe;
  /** A compact JWE (RSA-OAEP-256, A256GCM) of the claims to this key's public half. */
  encryptTo?: string;
  /** Applied to the finished compact token, in order. */
  transform?: Transform[];
}

export interface Repeat {
  repeat: string;
  times: number;
}

export type Transform =
  /** `=` padding on every segment (base64url in JOSE has none). */
  | 'pad'
  /** The standard base64 alphabet (`+`, `/`) instead of the URL-safe one. */
  | 'standard-alphabet'
  /** The signature's last character with other unused low bits: the same bytes, another string. */
  | 'trailing-bits'
  /** A space in the middle of the payload segment. */
  | 'inner-space'
  /** Only the header and payload segments (the signature and its dot dropped). */
  | 'drop-signature'
  /** A fourth, empty segment. */
  | 'extra-segment';

/** A key a recipe can name. */
export interface RecipeKey {
  alg: string;
  privateKey: KeyObject | Uint8Array;
  publicJwk?: JWK;
  publicPem?: string;
  /** What goes into `kid` by default (absent: the key's name). */
  kid?: string;
  /** Header members every token of this key carries (e.g. x5c with its certificate). */
  header?: Record<string, unknown>;
}

export interface RecipeContext {
  now: number;
  keys: ReadonlyMap<string, RecipeKey>;
  vars: Record<string, string>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** `{{name}}`, `{{now+300}}`; unknown names are an error in the corpus, not a silent literal. */
export function fill(text: string, ctx: RecipeContext): string {
  return text.replace(/\{\{(\w+)([+-]\d+)?\}\}/g, (_all, name: string, offset?: string) => {
    if (name === 'now') return String(ctx.now + Number(offset ?? 0));
    const value = ctx.vars[name];
    if (value === undefined) throw new Error(`unknown placeholder {{${name}}}`);
    return value;
  });
}

/** Claims and header values: strings filled, `{"$now": n}` as a number, recursively. */
function resolve(value: unknown, ctx: RecipeContext): unknown {
  if (typeof value === 'string') return fill(value, ctx);
  if (Array.isArray(value)) return value.map((item) => resolve(item, ctx));
  if (typeof value === 'object' && value !== null) {
    const special = value as { $now?: number; $repeat?: string; times?: number; $jwk?: string };
    if (special.$now !== undefined) return ctx.now + special.$now;
    if (special.$repeat !== undefined) return special.$repeat.repeat(special.times ?? 1);
    if (special.$jwk !== undefined) return keyNamed(ctx, special.$jwk).publicJwk;
    const entries = Object.entries(value);
    // defineProperty: a `__proto__` member of the corpus stays an own member, as JSON.parse makes it.
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(out, k, { value: resolve(v, ctx), enumerable: true, writable: true });
    return out;
  }
  return value;
}

export function repeated(value: string | Repeat, ctx: RecipeContext): string {
  return typeof value === 'string' ? fill(value, ctx) : value.repeat.repeat(value.times);
}

const defaultClaims = (ctx: RecipeContext) => ({
  iss: ctx.vars.issuer,
  aud: ctx.vars.audience,
  sub: 'alice',
  scope: 'read',
  iat: ctx.now,
  exp: ctx.now + 300,
});

function withoutMembers(
  object: Record<string, unknown>,
  omit: readonly string[] = [],
): Record<string, unknown> {
  const copy = { ...object };
  for (const name of omit) delete copy[name];
  return copy;
}

function keyNamed(ctx: RecipeContext, name: string): RecipeKey {
  const key = ctx.keys.get(name);
  if (!key) throw new Error(`unknown key "${name}" in the corpus`);
  return key;
}

/** The signer a recipe names: its default header and a function over the signing input. */
function signerOf(
  spec: string,
  ctx: RecipeContext,
): { header: Record<string, unknown>; sign: (alg: string, input: string) => string } {
  if (spec === 'none') return { header: { alg: 'none' }, sign: () => '' };
  const guessed = /^hmac:text:(.*)$/s.exec(spec);
  if (guessed) {
    return {
      header: { alg: 'HS256' },
      sign: (alg, input) =>
        b64url(
          createHmac(`sha${alg.slice(2)}`, guessed[1]!)
            .update(input)
            .digest(),
        ),
    };
  }
  const hmac = /^hmac:(pem|jwk):(.+)$/.exec(spec);
  if (hmac) {
    const key = keyNamed(ctx, hmac[2]!);
    const secret = hmac[1] === 'pem' ? key.publicPem! : JSON.stringify(key.publicJwk);
    return {
      header: { alg: 'HS256', kid: key.kid ?? hmac[2] },
      sign: (alg, input) =>
        b64url(
          createHmac(`sha${alg.slice(2)}`, secret)
            .update(input)
            .digest(),
        ),
    };
  }
  const key = keyNamed(ctx, spec);
  return {
    header: { alg: key.alg, kid: key.kid ?? spec, ...key.header },
    sign: (alg, input) => b64url(signWith(key, alg, input)),
  };
}

const SIGNING_ALG = /^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$/;

/**
 * A JWS signature by the header's `alg`, which may differ from the key's (an RSA key signs PS256
 * as well); a header naming no signing algorithm (`none`, `RSA-OAEP`) gets the key's own.
 */
function signWith(key: RecipeKey, headerAlg: string, input: string): Buffer {
  const data = Buffer.from(input);
  const alg = SIGNING_ALG.test(headerAlg) ? headerAlg : key.alg;
  if (alg.startsWith('HS')) {
    if (!(key.privateKey instanceof Uint8Array)) throw new Error(`${alg} needs a secret`);
    return createHmac(`sha${alg.slice(2)}`, key.privateKey)
      .update(data)
      .digest();
  }
  if (key.privateKey instanceof Uint8Array) throw new Error(`${alg} needs a private key`);
  const hash = `sha${alg.slice(2)}`;
  if (alg === 'EdDSA') return cryptoSign(null, data, key.privateKey);
  if (alg.startsWith('ES'))
    return cryptoSign(hash, data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS'))
    return cryptoSign(hash, data, {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  return cryptoSign(hash, data, key.privateKey);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function applyTransform(token: string, transform: Transform): string {
  const parts = token.split('.');
  switch (transform) {
    case 'pad':
      return parts.map((part) => part.padEnd(Math.ceil(part.length / 4) * 4, '=')).join('.');
    case 'standard-alphabet':
      return token.replace(/-/g, '+').replace(/_/g, '/');
    case 'trailing-bits': {
      const signature = parts[2]!;
      // The last character of a 256-byte RSA signature carries 4 bits the bytes do not use,
      // zero in the canonical form: setting one keeps the bytes and changes the string.
      const last = BASE64URL.indexOf(signature.at(-1)!);
      parts[2] = signature.slice(0, -1) + BASE64URL[last | 1];
      return parts.join('.');
    }
    case 'inner-space': {
      const payload = parts[1]!;
      parts[1] = `${payload.slice(0, 8)} ${payload.slice(8)}`;
      return parts.join('.');
    }
    case 'drop-signature':
      return parts.slice(0, 2).join('.');
    case 'extra-segment':
      return `${token}.`;
  }
}

/** Builds the compact token a recipe describes. */
export async function buildToken(recipe: TokenRecipe, ctx: RecipeContext): Promise<string> {
  if (recipe.raw !== undefined) return repeated(recipe.raw, ctx);
  const claims = withoutMembers(
    { ...defaultClaims(ctx), ...(resolve(recipe.claims ?? {}, ctx) as object) },
    recipe.claimsOmit,
  );
  if (recipe.encryptTo) {
    const key = keyNamed(ctx, recipe.encryptTo);
    return new CompactEncrypt(Buffer.from(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: key.kid ?? recipe.encryptTo })
      .encrypt(await importJWK(key.publicJwk!, 'RSA-OAEP-256'));
  }
  const signer = signerOf(recipe.sign ?? 'idp-rs', ctx);
  const header = withoutMembers(
    { ...signer.header, typ: 'JWT', ...(resolve(recipe.header ?? {}, ctx) as object) },
    recipe.headerOmit,
  );
  const headerText =
    recipe.headerJson !== undefined ? fill(recipe.headerJson, ctx) : JSON.stringify(header);
  const payloadText =
    recipe.payloadToken !== undefined
      ? await buildToken(recipe.payloadToken, ctx)
      : recipe.payloadText !== undefined
        ? fill(recipe.payloadText, ctx)
        : JSON.stringify(claims);
  const input = `${b64url(headerText)}.${b64url(payloadText)}`;
  const alg = typeof header.alg === 'string' ? header.alg : 'RS256';
  let signature = signer.sign(alg, input);
  if (recipe.signatureOf) signature = (await buildToken(recipe.signatureOf, ctx)).split('.')[2]!;
  let token = `${input}.${signature}`;
  for (const transform of recipe.transform ?? []) token = applyTransform(token, transform);
  return token;
}
