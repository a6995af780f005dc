import type { Knex } from 'knex';
import type { AppContext } from '../src/http/route';
import { seedUsers } from './users';
import { seedLedger } from './ledger';
import { seedHouseholds } from './households';
import { seedReconciliation } from './reconciliation';
import { seedAid } from './aid';
import { seedCampaigns } from './campaigns';
import { seedLoans } from './loans';
import { seedVisits } from './visits';
import { loanSettings } from '../src/loans';

/**
 * Demo data, written through the domains' own services (so every row is audited) in one transaction: a
 * first start either gets all of it or none. Each domain adds its step here, in dependency order.
 */
export async function seedDemoData(ctx: AppContext) {
  // Demo users share a published password: never in production (config refuses DEMO_DATA=on there too).
  if (ctx.config.nodeEnv === 'production') throw new Error('demo data is never loaded with NODE_ENV=production');
  const aidSettings = { districtLimit: ctx.config.aidDistrictLimit, foundationLimit: ctx.config.aidFoundationLimit, noticePeriodMs: ctx.config.noticePeriodMs };
  const campaignSettings = { districtLimit: ctx.config.campaignDistrictLimit, foundationLimit: ctx.config.campaignFoundationLimit, noticePeriodMs: ctx.config.noticePeriodMs, maxLines: ctx.config.campaignRollMaxLines };
  const steps: [string, (trx: Knex.Transaction) => Promise<unknown>][] = [
    ['users', seedUsers],
    ['ledger', seedLedger],
    ['households', (trx) => seedHouseholds(trx, { threshold: ctx.config.exitIncomeThreshold })],
    ['reconciliation', seedReconciliation],
    ['aid', (trx) => seedAid(trx, aidSettings)],
    ['visits', (trx) => seedVisits(trx, { overdueDays: ctx.config.visitOverdueDays })],
    ['campaigns', (trx) => seedCampaigns(trx, campaignSettings)],
    ['loans', (trx) => seedLoans(trx, loanSettings(ctx))],
  ];
  await ctx.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(7302)');
    if (await trx('meta').where({ key: 'demo_data' }).first()) return;
    for (const [name, step] of steps) {
      const started = Date.now();
      await step(trx);
      ctx.log.info({ step: name, ms: Date.now() - started }, 'demo data step done');
    }
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
