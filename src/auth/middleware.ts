import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { unauthorized } from '../platform/errors';
import type { SessionUser } from './model';
import { userForToken } from './service';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: SessionUser;
      token?: string;
    }
  }
}

/**
 * Reads the bearer token, if any. A token that is present but bad is a 401 even on public routes, so a
 * client never silently acts anonymously; which roles may call what is decided per route (http/route.ts).
 */
export function authenticate(db: Knex) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) return next();
    const m = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
    if (!m) return next(unauthorized('the Authorization header must be "Bearer <token>"'));
    const user = await userForToken(db, m[1]!);
    if (!user) return next(unauthorized('the token is unknown, expired or revoked, or the user is disabled'));
    req.user = user;
    req.token = m[1];
    next();
  };
}
