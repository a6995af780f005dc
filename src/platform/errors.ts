/** An error meant for the client: it becomes `{"error": {code, message, details}}` with its status. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'validation_failed', message, details);
export const unauthorized = (message = 'a valid bearer token is required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'your role or district may not do this', code = 'forbidden', details?: unknown) =>
  new AppError(403, code, message, details);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const invalidState = (message: string, details?: unknown) => new AppError(409, 'invalid_state', message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);

/** Invariants of money: a broken one is a bug, never a client error, so it aborts the transaction loudly. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}
