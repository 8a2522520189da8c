import { applyDecorators } from '@nestjs/common';
import { ApiConsumes, ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ERROR_CATALOGUE, type ErrorBody, type ErrorCode } from '../common/errors';
import { ErrorResponse } from './schemas';
import { ApiAuth } from './security';

/**
 * A documented error answer: the one error schema, and as its example a body the service sends
 * for `code`, with the status and `error` the catalogue gives that code (a test checks every
 * error answer of the document against the catalogue). Always JSON, whatever the route produces.
 */
export function ApiErrorResponse(
  code: ErrorCode,
  errorDescription: string,
  description = '',
): MethodDecorator & ClassDecorator {
  const { status, error } = ERROR_CATALOGUE[code];
  const example: ErrorBody = { error, error_description: errorDescription, code };
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ApiResponse({
      status,
      description,
      content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) }, example } },
    }),
  );
}

/**
 * The token endpoints (`/verify`, `/exchange/{profile}`): the access token as Bearer (it may
 * come another way the profile names), and the answers when it is refused (RFC 6750) or its
 * identity provider cannot be asked.
 */
export const ApiTokenEndpoint = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiAuth('token', { optional: true }),
    ApiErrorResponse(
      'ERR_TOKEN_MISSING',
      'no access token in the request',
      'No token, or an invalid one (signature, alg, expired, issuer, unknown key…): WWW-Authenticate: Bearer',
    ),
    ApiErrorResponse(
      'ERR_INSUFFICIENT_SCOPE',
      "'scope' requires one of: 'read'",
      'Valid token without the required scopes, claims or consumer',
    ),
    ApiErrorResponse('ERR_NOT_FOUND', 'profile "api" not found', 'Unknown profile'),
    ApiErrorResponse(
      'ERR_IDP_UNAVAILABLE',
      'the identity provider keys are unavailable',
      'IdP JWKS or introspection endpoint down and nothing valid cached (Retry-After)',
    ),
  );

/**
 * The OAuth endpoints (`/exchange`, `/introspect`): an authenticated client (HTTP Basic, or
 * form fields instead) and form parameters only.
 */
export const ApiOAuthEndpoint = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiAuth('client', { optional: true }),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiErrorResponse(
      'ERR_INVALID_CLIENT',
      'client authentication failed',
      'Client authentication missing or wrong; WWW-Authenticate: Basic unless the client used the form',
    ),
    ApiErrorResponse(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      'content type not supported here; send application/x-www-form-urlencoded',
      'Not form-encoded',
    ),
  );
