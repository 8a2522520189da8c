import { applyDecorators, Controller, UseGuards, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { JsonBodyGuard } from '../common/body-type.guards';
import { ApiErrorResponse } from '../openapi/error-responses';
import { ApiAuth } from '../openapi/security';
import { AdminAuthGuard } from './admin-auth.guard';
import { adminValidationPipe } from './admin-validation.pipe';

/** Where admin routes live: the admin API, and Kong JWT Signer's key admin paths. */
export const ADMIN_PREFIXES = ['/admin', '/jwt-signer'] as const;

/**
 * Every admin controller is declared with this: an admin prefix, bearer authentication,
 * validated DTOs and the shared OpenAPI answers. A test walks every admin route of the OpenAPI
 * document without and with a wrong token, so a controller that skipped it would show.
 */
export function AdminController(
  path = '',
  prefix: (typeof ADMIN_PREFIXES)[number] = '/admin',
): ClassDecorator {
  return applyDecorators(
    Controller(path ? `${prefix}/${path}` : prefix),
    UseGuards(AdminAuthGuard, JsonBodyGuard),
    UsePipes(adminValidationPipe),
    ApiTags('admin'),
    ApiAuth('admin'),
    ApiErrorResponse(
      'ERR_UNAUTHORIZED',
      'a bearer token is required',
      'Missing or wrong admin token',
    ),
    ApiErrorResponse(
      'ERR_NOT_FOUND',
      'route not found',
      'Unknown resource, or the admin API is off (STS_ADMIN_TOKEN unset)',
    ),
    ApiErrorResponse(
      'ERR_INVALID_REQUEST',
      'request body must be a JSON object',
      'Invalid request',
    ),
  );
}

/** The 409 of a change to an entity the declarative file owns (see `assertNotInFile`). */
export const ApiDeclaredInFile = (): MethodDecorator =>
  ApiErrorResponse(
    'ERR_CONFLICT',
    'keyset "edge" is declared in the configuration file (STS_CONFIG); change it there',
    'Declared in the file',
  );
