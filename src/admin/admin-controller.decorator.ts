import { applyDecorators, Controller, UseGuards, UsePipes } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { JsonBodyGuard } from '../common/body-type.guards';
import { ErrorResponse } from '../openapi/schemas';
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
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      type: ErrorResponse,
      description: 'Missing or wrong admin token',
    }),
    ApiNotFoundResponse({
      type: ErrorResponse,
      description: 'Unknown resource, or the admin API is off (STS_ADMIN_TOKEN unset)',
    }),
    ApiBadRequestResponse({ type: ErrorResponse }),
  );
}

/** The 409 of a change to an entity the declarative file owns (see `assertNotInFile`). */
export const ApiDeclaredInFile = (): MethodDecorator =>
  ApiConflictResponse({ type: ErrorResponse, description: 'Declared in the file' });
