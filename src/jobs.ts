import type { AppContext } from './http/route';
import { sweepNoticePeriods } from './aid';

export interface Job {
  name: string;
  everyMs(ctx: AppContext): number;
  run(ctx: AppContext): Promise<unknown>;
}

/** Scheduled work of the domains. Each job must be safe with several instances (advisory lock or idempotent). */
const JOBS: Job[] = [{ name: 'aid.notice-sweep', everyMs: (ctx) => ctx.config.noticeSweepMs, run: sweepNoticePeriods }];

export function startBackgroundJobs(ctx: AppContext) {
  const timers = JOBS.map((job) => {
    const timer = setInterval(() => {
      job.run(ctx).catch((err) => ctx.log.error({ err, job: job.name }, 'background job failed'));
    }, job.everyMs(ctx));
    timer.unref();
    return timer;
  });
  return { stop: () => timers.forEach(clearInterval) };
}
