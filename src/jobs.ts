import type { AppContext } from './http/route';

export interface Job {
  name: string;
  everyMs: number;
  run(ctx: AppContext): Promise<void>;
}

/** Scheduled work of the domains (e.g. notice-period sweeps). A new domain job adds one line here. */
const JOBS: Job[] = [];

export function startBackgroundJobs(ctx: AppContext) {
  const timers = JOBS.map((job) =>
    setInterval(() => {
      job.run(ctx).catch((err) => ctx.log.error({ err, job: job.name }, 'background job failed'));
    }, job.everyMs),
  );
  return { stop: () => timers.forEach(clearInterval) };
}
