import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** One configuration problem: where it is and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** class-validator errors as problems with full paths (`rotation.period`, `keysets[1].name`). */
export function validationProblems(errors: ValidationError[], root = ''): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  flatten(errors, root, problems);
  return problems;
}

function flatten(errors: ValidationError[], parent: string, out: ConfigProblem[]): void {
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ path, message: message.replace(/^(property \S+ )?/, '') });
    }
    flatten(error.children ?? [], path, out);
  }
}

/**
 * Validates plain data into `cls`, rejecting unknown keys. Problems carry their full path
 * (`keysets[1].algorithm`) so an operator can find them in the file.
 */
export function validateConfig<T extends object>(
  cls: ClassConstructor<T>,
  plain: unknown,
  root = '',
): { value: T; problems: ConfigProblem[] } {
  const value = plainToInstance(cls, plain ?? {}, { exposeDefaultValues: true });
  const errors = validateSync(value, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  return { value, problems: validationProblems(errors, root) };
}
