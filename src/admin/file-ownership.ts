import { Errors, type StsError } from '../common/errors';

/**
 * The declarative file is authoritative for the names it declares: it is applied again at every
 * start, so an admin change to such an entity would silently revert. Those answer 409; rotating
 * a file keyset is an operation, not a change of configuration, and stays allowed.
 */
export function assertNotInFile(
  resource: string,
  name: string,
  declared: readonly { name: string }[],
): void {
  if (declared.some((entry) => entry.name === name)) throw declaredInFile(resource, name);
}

/** The 409 for a change to an entity the file declares. */
export const declaredInFile = (resource: string, name: string): StsError =>
  Errors.conflict(
    `${resource} "${name}" is declared in the configuration file (STS_CONFIG); change it there`,
  );
