import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { MAX_JSON_DEPTH } from './json-depth';

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
  const screened = screenPlain(plain ?? {}, root);
  const value = plainToInstance(cls, screened.plain, { exposeDefaultValues: true });
  const errors = validateSync(value, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  return { value, problems: [...screened.problems, ...validationProblems(errors, root)] };
}

/**
 * Names class-transformer cannot take: those of Object.prototype. It skips them without a word,
 * so `forbidNonWhitelisted` never sees them (`constructor: 1` in a profile was stored as given),
 * or fails on them (`constructor: true` stopped start-up with a TypeError).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * What no class can say about plain data, with paths: members with reserved names, and nesting
 * deeper than MAX_JSON_DEPTH. The copy returned has neither, so everything else is validated in
 * the same pass.
 */
export function screenPlain(
  plain: unknown,
  root = '',
): { plain: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const screen = (node: unknown, path: string, depth: number): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    if (depth > MAX_JSON_DEPTH) {
      problems.push({ path, message: `nests deeper than ${MAX_JSON_DEPTH} levels` });
      return null;
    }
    if (Array.isArray(node))
      return node.map((item, index) => screen(item, pathOf(path, String(index)), depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) {
      const at = pathOf(path, name);
      if (RESERVED_NAMES.has(name)) problems.push({ path: at, message: 'is a reserved name' });
      else copy[name] = screen(value, at, depth + 1);
    }
    return copy;
  };
  return { plain: screen(plain, root, 1), problems };
}
