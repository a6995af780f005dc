import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { perClientLimit } from '../http/rate-limit';
import { ROLES } from './model';
import { createUser, listUsers, login, logout, updateUser, type NewUser, type UserChange } from './service';

const username = Joi.string().pattern(/^[a-zA-Z0-9_.-]{2,64}$/).message('"username" must be 2 to 64 letters, digits, "_", "." or "-"');
const password = Joi.string().min(8).max(200);
const roles = Joi.array().items(Joi.string().valid(...ROLES)).min(1).max(ROLES.length).unique();
const district = Joi.string().max(8).allow(null);

export function authRoutes(app: AppContext) {
  const r = Router();
  r.post('/auth/login', perClientLimit(app.config.loginRateLimit, 'login attempts'));
  defineRoute<{ username: string; password: string }>(r, app, {
    method: 'post', path: '/auth/login', tag: 'auth', access: 'public',
    summary: 'Log in: returns a bearer token. Five wrong passwords lock the account for 15 minutes.',
    body: Joi.object({ username: Joi.string().max(64).required(), password: Joi.string().max(200).required() }),
    handler: async ({ body }) => {
      // Not a `write` route: a failed attempt must still commit its failure count before the 401 goes out.
      const out = await app.db.transaction((trx) => login(trx, body.username, body.password, app.config.tokenTtlMs));
      if ('error' in out) throw out.error;
      return out;
    },
  });
  defineRoute(r, app, {
    method: 'post', path: '/auth/logout', tag: 'auth', access: 'authenticated', write: true,
    summary: 'Revoke the token of this request',
    handler: async ({ trx, req, user }) => {
      await logout(trx, req.token!, user!);
      return { ok: true };
    },
  });
  defineRoute(r, app, {
    method: 'get', path: '/auth/me', tag: 'auth', access: 'authenticated',
    summary: 'The logged-in user',
    handler: async ({ user }) => user,
  });
  defineRoute(r, app, {
    method: 'get', path: '/users', tag: 'users', access: ['admin'],
    summary: 'All users',
    handler: async () => ({ items: await listUsers(app.db), nextCursor: null }),
  });
  defineRoute<NewUser>(r, app, {
    method: 'post', path: '/users', tag: 'users', access: ['admin'], write: true, status: 201,
    summary: 'Create a user (officers need a district; an approver with a district is a district approver)',
    body: Joi.object({ username: username.required(), password: password.required(), displayName: Joi.string().min(1).max(100).required(), roles: roles.required(), district }),
    handler: async ({ trx, user, body }) => createUser(trx, user!.username, body),
  });
  defineRoute<UserChange, unknown, { id: number }>(r, app, {
    method: 'patch', path: '/users/:id', tag: 'users', access: ['admin'], write: true,
    summary: 'Disable a user (their tokens stop at once), or change roles, district, name or password',
    params: Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() }),
    body: Joi.object({ disabled: Joi.boolean().strict(), roles, district, displayName: Joi.string().min(1).max(100), password }).min(1),
    handler: async ({ trx, user, body, params }) => updateUser(trx, user!, params.id, body),
  });
  return r;
}
