import type { AppContext } from './http/route';
import { sweepNoticePeriods } from './aid';
import { sweepCampaignNotices } from './campaigns';
import { accrueLoanPenalties } from './loans';
import { eraseExpiredDocuments } from './documents';
import { timeJob } from './platform/metrics';

export interface Job {
  name: string;
  everyMs(ctx: AppContext): number;
  run(ctx: AppContext): Promise<unknown>;
}

/** Scheduled work of the domains. Each job must be safe with several instances (advisory lock or idempotent). */
const JOBS: Job[] = [{ name: 'aid.notice-sweep', everyMs: (ctx) => ctx.config.noticeSweepMs, run: sweepNoticePeriods },
  { name: 'campaigns.notice-sweep', everyMs: (ctx) => ctx.config.noticeSweepMs, run: sweepCampaignNotices },
  // Idempotent per loan per day (unique key): hourly runs after the first of the day add nothing.
  { name: 'loans.penalty-accrual', everyMs: () => 3_600_000, run: (ctx) => accrueLoanPenalties(ctx.db) },
  { name: 'documents.erase-expired', everyMs: () => 3_600_000, run: (ctx) => eraseExpiredDocuments(ctx) }];

export function startBackgroundJobs(ctx: AppContext) {
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const lastRun = new Map<string, { at: string; ok: boolean }>();
  // Wall time for /health/ready, not a business instant (tests move clock.now()).
  const note = (job: Job, ok: boolean) => lastRun.set(job.name, { at: new Date(Date.now()).toISOString(), ok });
  const timers = JOBS.map((job) => {
    const timer = setInterval(() => {
      const run: Promise<void> = timeJob(job.name, () => job.run(ctx))
        .then(() => void note(job, true), (err) => {
          note(job, false);
          ctx.log.error({ err, job: job.name }, 'background job failed');
        })
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
    }, job.everyMs(ctx));
    timer.unref();
    return timer;
  });
  return {
    status: () => ({ running: !stopped, jobs: JOBS.map((j) => ({ name: j.name, everyMs: j.everyMs(ctx), lastRun: lastRun.get(j.name) ?? null })) }),
    /** No new runs; resolves when the runs in progress have finished. */
    stop: async () => {
      stopped = true;
      timers.forEach(clearInterval);
      await Promise.allSettled([...inFlight]);
    },
  };
}
