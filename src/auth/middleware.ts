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

const INVALID_TOKEN = 'the token is not valid or has expired: log in again (POST /api/v1/auth/login); 登录已失效，请重新登录';

/**
 * Reads the bearer token, if any. A token that is present but bad is a 401 even on public routes, so a
 * client never silently acts anonymously; which roles may call what is decided per route (http/route.ts).
 */
export function authenticate(db: Knex) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) return next();
    const scheme = /^Bearer(?:\s+(\S*))?\s*$/i.exec(header);
    if (!scheme) return next(unauthorized('the Authorization header must be "Bearer <token>"'));
    // A token of the wrong shape is just a token that is not valid: say so, as for an unknown one.
    const token = /^[A-Za-z0-9_-]{20,100}$/.test(scheme[1] ?? '') ? scheme[1]! : null;
    const user = token ? await userForToken(db, token) : undefined;
    if (!user) return next(unauthorized(INVALID_TOKEN));
    req.user = user;
    req.token = token!;
    next();
  };
}
