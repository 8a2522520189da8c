/** RFC 8693 identifiers. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const TOKEN_TYPES = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;

/** Subject/actor token types we can verify (JWTs or introspectable access tokens). */
export const ACCEPTED_SUBJECT_TYPES: readonly string[] = [
  TOKEN_TYPES.access_token,
  TOKEN_TYPES.jwt,
  TOKEN_TYPES.id_token,
];

/** Token types we issue; all are JWT access tokens (`typ: at+jwt`). */
export const ISSUABLE_TYPES: readonly string[] = [TOKEN_TYPES.access_token, TOKEN_TYPES.jwt];
