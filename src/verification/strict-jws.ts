import { MAX_JSON_DEPTH } from '../common/json-depth';
import { Rejections } from './rejections';

const decoder = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url in its one canonical spelling (no stray low bits in the last character). */
const isCanonicalBase64url = (segment: string): boolean =>
  BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;

/**
 * The first problem of JSON text a reader could take two ways, or that nests too deeply: a
 * member name twice in one object (escaped spellings decoded first), at any depth. Runs on text
 * JSON.parse accepted, so the scan only tracks strings, nesting and object members.
 */
function ambiguity(text: string): 'duplicate' | 'depth' | undefined {
  /** One entry per open object (its member names) or array (null). */
  const open: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const members = open.at(-1);
      if (members && expectingName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (members.has(name)) return 'duplicate';
        members.add(name);
        expectingName = false;
      }
      i = end;
    } else if (char === '{' || char === '[') {
      open.push(char === '{' ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH) return 'depth';
      expectingName = char === '{';
    } else if (char === '}' || char === ']') {
      open.pop();
    } else if (char === ',') {
      expectingName = open.at(-1) != null;
    }
  }
  return undefined;
}

function checkJson(segment: string, part: 'header' | 'payload'): unknown {
  let text: string;
  try {
    text = decoder.decode(Buffer.from(segment, 'base64url'));
  } catch {
    // Replaced by U+FFFD here, refused or kept by another reader: two meanings.
    throw Rejections.invalid(`the token ${part} is not UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // not JSON: what the verification says about it stands
  }
  const problem = ambiguity(text);
  if (problem === 'duplicate')
    throw Rejections.invalid(`the token ${part} has a duplicate member name`);
  if (problem === 'depth')
    throw Rejections.invalid(`the token ${part} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/**
 * RFC 8725 §3.11 explicit typing: `<kind>+jwt` names another kind of JWT (a logout token,
 * a security event, a DPoP proof, an introspection answer); `at+jwt` (RFC 9068) is an access
 * token. Any other `typ` (`JWT`, `JOSE`) is informational (RFC 7515 §4.1.9).
 */
function checkType(header: unknown): void {
  if (typeof header !== 'object' || header === null || !Object.hasOwn(header, 'typ')) return;
  const typ = (header as { typ: unknown }).typ;
  if (typeof typ !== 'string') throw Rejections.invalid('the token "typ" is not a string');
  const kind = typ.toLowerCase().replace(/^application\//, '');
  if (kind.endsWith('+jwt') && kind !== 'at+jwt')
    throw Rejections.invalid(`the token "typ" (${kind}) is not an access token`);
}

/**
 * A JWS read strictly before anything trusts it, so one token has one meaning for every reader:
 * each segment is unpadded base64url in its canonical form (RFC 7515 §2, §7.1), the header and
 * payload are UTF-8, neither has a member name twice or nests deeper than MAX_JSON_DEPTH (RFC 7519
 * §4 lets a reader refuse duplicates; a first-wins reader would see another token), and `typ`
 * does not name another kind of JWT. Runs on tokens classified as a JWS (three segments with a
 * decodable header); throws a rejection.
 */
export function checkStrictJws(token: string): void {
  const segments = token.split('.');
  if (!segments.every(isCanonicalBase64url))
    throw Rejections.invalid('the token is not unpadded base64url in canonical form');
  checkType(checkJson(segments[0]!, 'header'));
  checkJson(segments[1]!, 'payload');
}
