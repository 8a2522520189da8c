import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import * as classTransformer from 'class-transformer';
import * as classValidator from 'class-validator';
import { Errors } from '../common/errors';
import { screenPlain, validationProblems, type ConfigProblem } from '../common/validation';

/**
 * Admin request bodies and queries: class-validator DTOs, unknown members refused, every problem
 * listed with its path in one 400 of our error model (as the config file's problems are).
 */
class AdminValidationPipe extends ValidationPipe {
  /** Reserved member names first: class-transformer would skip them unseen, or fail on them. */
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { problems } = screenPlain(value);
    if (problems.length > 0) throw problemsError(problems);
    return super.transform(value, metadata);
  }
}

const problemsError = (problems: readonly ConfigProblem[]) =>
  Errors.invalidRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '));

export const adminValidationPipe = new AdminValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  // The very packages the DTO decorators registered with, whatever module system loads Nest.
  validatorPackage: classValidator,
  transformerPackage: classTransformer,
  exceptionFactory: (errors) => problemsError(validationProblems(errors)),
});
