import type { Router } from 'express';
import type { AppContext } from './http/route';
import { authRoutes } from './auth';
import { auditRoutes } from './audit';
import { referenceRoutes } from './reference';
import { ledgerRoutes } from './ledger';
import { householdRoutes } from './households';
import { reconciliationRoutes } from './reconciliation';
import { aidRoutes } from './aid';
import { reportRoutes } from './reports';
import { loanRoutes } from './loans';
import { documentRoutes } from './documents';
import { campaignRoutes } from './campaigns';

/** Each domain's router, mounted under /api/v1. A new domain adds one line here. */
export function domainRouters(ctx: AppContext): Router[] {
  return [authRoutes(ctx), auditRoutes(ctx), referenceRoutes(ctx), ledgerRoutes(ctx), householdRoutes(ctx), reconciliationRoutes(ctx), aidRoutes(ctx), reportRoutes(ctx), loanRoutes(ctx), documentRoutes(ctx), campaignRoutes(ctx)];
}

/** Routes whose bodies may be larger than BODY_LIMIT (imported files). */
export const LARGE_BODY_PATHS: string[] = ['/households/imports', '/bank-statements', '/campaigns/:id/bank-results'];

/** Uploads whose body is the file itself, streamed by the route: never read as JSON, whatever Content-Type says. */
export const RAW_BODY_PATHS: string[] = ['/documents'];
