/**
 * The one error type stablebot raises for problems the user can fix (bad input, unknown ref, not a repository).
 * The CLI prints `message` on one line and exits 2; the App turns it into a comment. Anything else is a bug.
 */
export type ErrorCode =
  | 'bad-input'
  | 'malformed-mail'
  | 'unknown-sha'
  | 'unknown-branch'
  | 'not-a-repository'
  | 'bad-config'
  | 'unrecoverable-diff';

export class StablebotError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'StablebotError';
    this.code = code;
  }
}

export function isStablebotError(e: unknown): e is StablebotError {
  return e instanceof StablebotError;
}
