import { applyDecorators } from '@nestjs/common';
import { ApiSecurity, type DocumentBuilder } from '@nestjs/swagger';

type SecuritySchemeObject = Parameters<DocumentBuilder['addSecurity']>[1];

/** The document's security schemes, by name: each protected route names the one it asks for. */
export const SECURITY_SCHEMES = {
  admin: {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer $STS_ADMIN_TOKEN`: the admin API (`/admin/…`) and Kong JWT Signer’s key paths (`/jwt-signer/…`)',
  },
  metrics: {
    type: 'http',
    scheme: 'bearer',
    description: '`Authorization: Bearer $STS_METRICS_TOKEN`, asked for only when it is set',
  },
  client: {
    type: 'http',
    scheme: 'basic',
    description:
      'A client of the `clients` section: `client_id` and `client_secret` (client_secret_basic). They may instead be sent as form fields (client_secret_post), never both ways.',
  },
  token: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The access token the profile verifies: `Authorization: Bearer …` unless the profile names another header; it may also come in the JSON body, or in the query or a cookie (Kong JWT credentials).',
  },
} as const satisfies Record<string, SecuritySchemeObject>;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

/**
 * The route asks for `scheme`; `optional` adds the empty requirement: the credentials may come
 * another way (form fields, a JSON body) or not be asked for at all (`/metrics` without a token).
 */
export const ApiAuth = (
  scheme: SecuritySchemeName,
  { optional = false } = {},
): MethodDecorator & ClassDecorator =>
  optional ? applyDecorators(ApiSecurity(scheme), ApiSecurity({})) : ApiSecurity(scheme);
