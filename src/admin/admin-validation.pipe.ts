import { ValidationPipe } from '@nestjs/common';
import * as classTransformer from 'class-transformer';
import * as classValidator from 'class-validator';
import { Errors } from '../common/errors';
import { validationProblems } from '../common/validation';

/**
 * Admin request bodies and queries: class-validator DTOs, unknown members refused, every problem
 * listed with its path in one 400 of our error model (as the config file's problems are).
 */
export const adminValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  // The very packages the DTO decorators registered with, whatever module system loads Nest.
  validatorPackage: classValidator,
  transformerPackage: classTransformer,
  exceptionFactory: (errors) =>
    Errors.invalidRequest(
      validationProblems(errors)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; '),
    ),
});
