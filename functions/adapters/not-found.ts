/**
 * True when an AWS call failed because what it names does not exist (HealthOmics: no such run;
 * CloudWatch Logs: no such log stream). Told by the error's name, which every SDK client sets,
 * so one check serves the services alike.
 */
export function isResourceNotFound(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'ResourceNotFoundException';
}
