import type { AppContext } from '../src/http/route';
import { seedUsers } from './users';

/**
 * Demo data, written through the domains' own services (so every row is audited) in one transaction: a
 * first start either gets all of it or none. Each domain adds its step here, in dependency order.
 */
export async function seedDemoData(ctx: AppContext) {
  await ctx.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(7302)');
    if (await trx('meta').where({ key: 'demo_data' }).first()) return;
    await seedUsers(trx);
    await trx('meta').insert({ key: 'demo_data', value: new Date().toISOString() });
  });
}

/** DEMO_DATA=on: the first start on an empty database loads the demo; later starts never do. */
export async function seedOnFirstStart(ctx: AppContext) {
  const initialized = await ctx.db('meta').where({ key: 'initialized' }).first();
  if (initialized) return;
  if (ctx.config.demoData) {
    ctx.log.info('first start: loading demo data');
    await seedDemoData(ctx);
  }
  await ctx.db('meta').insert({ key: 'initialized', value: ctx.config.demoData ? 'demo' : 'empty' }).onConflict('key').ignore();
}
