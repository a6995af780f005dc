// Health for load balancers and orchestrators (docs/operations.md, "Health"): /health (the first, kept as it
// was), /health/live (the process answers) and /health/ready (this instance should get traffic).
import type { Express } from 'express';
import type { Knex } from 'knex';
import { messageZhOf } from '../platform/errors';
import { checkLeastPrivilege, migrationNames, roleCheckOf, type RoleCheck } from '../platform/db';
import { withTimeout } from '../platform/metrics';
import type { AppContext } from './route';

export interface JobsStatus {
  running: boolean;
  jobs: { name: string; everyMs: number; lastRun: { at: string; ok: boolean } | null }[];
}

/** What the service around the app tells the health checks: stopping, and its background jobs (none in a second app). */
export interface ServiceState {
  stopping: boolean;
  jobs?: () => JobsStatus;
}

/** A readiness probe answers within this, whatever the database does. */
const READY_TIMEOUT_MS = 2000;

/**
 * One probe query within the limit. A failure that is not the limit is tried again on another connection while
 * time is left: pooled connections the server dropped (terminated backends, a restart already over) are thrown
 * away one by one as they fail, and that is not the database away.
 */
async function probe<T>(db: Knex, sql: string): Promise<T> {
  const until = performance.now() + READY_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeout(db.raw(sql) as Promise<T>, Math.max(50, until - performance.now()));
    } catch (e) {
      if ((e as { code?: string }).code === 'timeout' || until - performance.now() < 50 || attempt >= 5) throw e;
    }
  }
}

/** The start's role check of this pool; a pool that was not prepared here (a second app) is checked once. */
const checked = new WeakMap<Knex, RoleCheck>();
async function roleCheck(db: Knex): Promise<RoleCheck> {
  const known = roleCheckOf(db) ?? checked.get(db);
  if (known) return known;
  const check = await checkLeastPrivilege(db);
  checked.set(db, check);
  return check;
}

export function healthRoutes(app: Express, ctx: AppContext, state: ServiceState, version: string) {
  const expected = migrationNames();

  app.get('/health', async (_req, res) => {
    try {
      await probe(ctx.db, 'SELECT 1');
      // Whether the service works as a least-privileged role (docs/operations.md); no role names or details here.
      const roles = roleCheckOf(ctx.db);
      const databaseRole = roles && (roles.leastPrivilege ? { leastPrivilege: true }
        : { leastPrivilege: false, warning: 'the service works as a database owner or superuser, who can switch off the protections of the audit log and the books: see docs/operations.md, "Database roles"' });
      res.json({ status: 'ok', database: 'ok', version, ...(databaseRole && { databaseRole }) });
    } catch {
      res.status(503).json({ error: { code: 'unavailable', message: 'the database does not answer', messageZh: messageZhOf('unavailable'), details: null } });
    }
  });

  // The process answers: nothing else is asked (a restart would not fix the database).
  app.get('/health/live', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'live', version, uptimeSeconds: Math.round(process.uptime()) });
  });

  app.get('/health/ready', async (_req, res) => {
    const started = performance.now();
    const checks: Record<string, { ok: boolean } & Record<string, unknown>> = {};
    try {
      const { rows } = await probe<{ rows: { role: string; applied: string[] }[] }>(
        ctx.db, `SELECT current_user AS role, (SELECT coalesce(array_agg(name), '{}') FROM knex_migrations) AS applied`);
      checks.database = { ok: true, ms: Math.round(performance.now() - started) };
      const applied = new Set<string>(rows[0]!.applied);
      const pending = expected.filter((m) => !applied.has(m));
      // Migrations the code does not know: a newer version migrated (a rolling upgrade); not a reason to stop this one.
      const unknown = [...applied].filter((m) => !expected.includes(m)).length;
      checks.migrations = { ok: pending.length === 0, applied: applied.size, pending, newerThanCode: unknown };
      const role = await withTimeout(roleCheck(ctx.db), READY_TIMEOUT_MS);
      // As intended: the role the start checked, least-privileged (a warning outside production, refused in it).
      const sameRole = rows[0]!.role === role.role;
      checks.databaseRole = { ok: sameRole && (role.leastPrivilege || ctx.config.nodeEnv !== 'production'), leastPrivilege: role.leastPrivilege, sameAsAtStart: sameRole };
    } catch (e) {
      const code = (e as { code?: string }).code === 'timeout' ? 'timeout' : 'unreachable';
      checks.database = { ok: false, problem: code, ms: Math.round(performance.now() - started) };
    }
    if (state.jobs) {
      const jobs = state.jobs();
      checks.jobs = { ok: jobs.running, ...jobs };
    }
    if (state.stopping) checks.stopping = { ok: false };
    const ready = Object.values(checks).every((c) => c.ok);
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', version, checks });
  });
}
