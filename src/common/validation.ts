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

/**
 * One step of a path: `[1]` for an index, `.name` for a plain name, `["…"]` (JSON) for any other
 * (empty, or with dots, spaces, brackets), so every path reads one way.
 */
function pathOf(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(property)) return `${parent}[${JSON.stringify(property)}]`;
  return parent ? `${parent}.${property}` : property;
}

function flatten(errors: ValidationError[], parent: string, out: ConfigProblem[]): void {
  for (const error of errors) {
    const path = pathOf(parent, error.property);
    // class-validator starts some messages with the name the path already gives.
    const named = `property ${error.property} `;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({
        path,
        message: message.startsWith(named) ? message.slice(named.length) : message,
      });
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
