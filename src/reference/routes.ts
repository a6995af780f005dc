import { Router } from 'express';
import { defineRoute, type AppContext } from '../http/route';
import { listDistricts } from './service';

export function referenceRoutes(app: AppContext) {
  const r = Router();
  defineRoute(r, app, {
    method: 'get', path: '/districts', tag: 'reference', access: 'public',
    summary: 'The 16 districts of Beijing (reference data)',
    handler: async () => ({ items: await listDistricts(app.db), nextCursor: null }),
  });
  return r;
}
