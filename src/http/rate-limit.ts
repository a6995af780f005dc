import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../platform/errors';

/**
 * Per client address, per instance, over 15 minutes: for what strangers can call without logging in
 * (login, objections, public report generation). Answers in the design's error format.
 */
export function perClientLimit(limit: number, what: string): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60_000,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError(429, 'rate_limited', `too many ${what} from this address: try again later`)),
  });
}
