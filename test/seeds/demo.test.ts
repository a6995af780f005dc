import { expect } from 'chai';
import { startIsolatedService } from '../support/env';
import { apiAt, type ApiResponse } from '../support/api';
import { DEMO_PASSWORD } from '../../seeds/users';
import { seedDemoData } from '../../seeds';
import { verifyEverything } from '../../src/audit';
import type { RunningService } from '../../src/server';

/**
 * The demo a first start loads (DEMO_DATA=on), as its users meet it over the API: a relief campaign in public
 * notice, the loan programme with loans in every state the pages show, home visits with an overdue file and an
 * overdue follow-up — and the audit chain and the books still verify afterwards.
 */
describe('demo data: campaign, loans and home visits', function () {
  this.timeout(300_000);
  let svc: { service: RunningService; stop: () => Promise<void> };
  let startMs = 0;
  const tokens = new Map<string, string>();
  const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();

  const as = async (username: string) => {
    if (!tokens.has(username)) {
      const r = await apiAt(svc.service.url, 'POST', '/auth/login', { body: { username, password: DEMO_PASSWORD } });
      expect(r.status, r.text).to.equal(200);
      tokens.set(username, r.body.token);
    }
    return tokens.get(username)!;
  };
  const get = async (username: string | null, path: string): Promise<ApiResponse> => {
    const r = await apiAt(svc.service.url, 'GET', path, username ? { token: await as(username) } : {});
    expect(r.status, `${path}: ${r.text.slice(0, 300)}`).to.equal(200);
    return r;
  };

  before(async () => {
    const started = Date.now();
    svc = await startIsolatedService({ DEMO_DATA: 'on', NOTICE_PERIOD: 'P7D' });
    startMs = Date.now() - started;
  });
  after(async () => svc?.stop());

  it('loads at first start in reasonable time', () => {
    // Migrations, ~600 household files, a year of ledger postings, aid, campaign, loans: one transaction.
    expect(startMs).to.be.lessThan(120_000);
  });

  it('has this year’s 元旦春节送温暖 campaign, reviewed by a district, approved by a foundation approver and on the notice board', async () => {
    const list = (await get('admin', `/campaigns?year=${year}`)).body.items as { id: number; kind: string; status: string; name: string }[];
    const c = list.find((x) => x.kind === 'new_year_spring');
    expect(c, JSON.stringify(list)).to.not.equal(undefined);
    expect(c!.name).to.match(/^\d{4}年元旦春节送温暖 /);
    expect(c!.status).to.equal('in_notice');
    const detail = (await get('admin', `/campaigns/${c!.id}`)).body;
    expect(detail.roll.included).to.be.greaterThan(20);
    const actions = (detail.timeline as { action: string; actor: string; note: string | null }[]);
    const reviews = actions.filter((e) => e.action === 'line_reviewed');
    expect(reviews.map((e) => e.actor)).to.include.members(['officer.cy']);
    expect(reviews.find((e) => e.actor === 'officer.cy')!.note).to.match(/adjust: .*减发/);
    // Maker-checker: the approver made nothing of the roll.
    expect(detail.approvals.map((a: { approver: string }) => a.approver)).to.deep.equal(['approver.wf']);
    const makers = new Set(actions.filter((e) => e.action !== 'approved').map((e) => e.actor));
    expect(makers.has('approver.wf')).to.equal(false);
    // In notice: the public board lists it with masked lines.
    const board = (await get(null, '/public/campaigns')).body.items as { id: number; lines: number }[];
    expect(board.map((b) => b.id)).to.include(c!.id);
    const roll = (await get(null, `/public/campaigns/${c!.id}/lines?limit=5`)).body.items as { maskedName: string }[];
    expect(roll.length).to.equal(5);
    for (const l of roll) expect(l.maskedName).to.include('*');
    // Most of its households have a bank account (full to the district's officer), some are left for cash.
    const lines = (await get('officer.cy', `/campaigns/${c!.id}/lines?status=included&limit=200`)).body.items as { householdId: number }[];
    const accounts = await Promise.all(lines.map(async (l) => (await get('officer.cy', `/households/${l.householdId}/bank-account`)).body.bankAccount));
    const withAccount = accounts.filter((a) => a !== null);
    expect(withAccount.length).to.be.greaterThan(lines.length / 2);
    expect(withAccount.length).to.be.lessThan(lines.length);
    expect(withAccount[0]).to.include({ masked: false });
    expect(withAccount[0].accountNo).to.match(/^\d{19}$/);
  });

  it('has the loan programme with pilot units, products and loans in every state, one of them in arrears', async () => {
    const progress = (await get('finance', `/loans/programme/${year}/progress`)).body;
    expect(progress.target).to.equal('10000000.00');
    expect(progress.pilotUnits.length).to.be.within(2, 3);
    const products = (await get('finance', '/loans/products')).body.items as { method: string; annualRate: string; subsidyPercent: string }[];
    expect(products.map((p) => [p.method, p.annualRate, p.subsidyPercent])).to.deep.include.members([['equal_instalment', '4.35', '50'], ['bullet', '0', '0']]);
    const loans = (await get('finance', `/loans?year=${year}&limit=100`)).body.items as { id: number; status: string }[];
    const statuses = new Set(loans.map((l) => l.status));
    for (const s of ['submitted', 'reviewed', 'approved', 'active', 'refused']) expect([...statuses], s).to.include(s);
    // Late in the year (as a demo usually starts) the active loans have repayments and one is in arrears; in
    // January no instalment has fallen due yet.
    const monthsGone = new Date(Date.now() + 8 * 3600_000).getUTCMonth();
    if (monthsGone >= 4) {
      expect(Number(progress.lent)).to.be.greaterThan(0);
      expect(Number(progress.repayment.repaid)).to.be.greaterThan(0);
      const arrears = (await get('finance', '/loans/arrears')).body;
      expect(arrears.items.length).to.equal(1);
      expect(arrears.items[0].daysPastDue).to.be.greaterThan(30);
      expect(Number(arrears.items[0].penaltyOutstanding)).to.be.greaterThan(0);
      const repaid = await Promise.all(loans.filter((l) => l.status === 'active').map(async (l) => (await get('finance', `/loans/${l.id}`)).body));
      expect(repaid.some((l) => (l.repayments ?? []).length >= 2), 'a loan repaid on time').to.equal(true);
    }
  });

  it('has home visits: a file overdue for a visit on the dashboard’s list, and an overdue follow-up', async () => {
    const overdue = (await get('officer.cy', '/households/visits/overdue?limit=20')).body;
    expect(overdue.total).to.be.at.least(1);
    expect(overdue.items[0].lastVisitDate).to.not.equal(null);
    const visited = (await get('admin', '/audit?action=household.visited&limit=50')).body;
    const ids = [...new Set((visited.items as { subject: string }[]).map((r) => Number(r.subject.split(':')[1])))];
    expect(ids.length).to.be.at.least(3);
    let overdueFollowUps = 0;
    let done = 0;
    for (const id of ids) {
      const v = (await get('admin', `/households/${id}/visits`)).body.items as { followUps: { overdue: boolean; done: boolean }[] }[];
      for (const x of v) for (const f of x.followUps) (f.overdue ? overdueFollowUps++ : f.done ? done++ : 0);
    }
    expect(overdueFollowUps).to.be.at.least(1);
    expect(done).to.be.at.least(1);
  });

  it('the audit chain and the books verify over the whole demo, and a second load adds nothing', async () => {
    const db = svc.service.ctx.db;
    const v = await verifyEverything(db);
    expect(v.ok, `${v.problem} ${JSON.stringify(v.ledger.firstBadEntry)}`).to.equal(true);
    expect(v.ledger.ok).to.equal(true);
    const before = await db('audit_log').count<{ n: string }[]>('* as n');
    await seedDemoData(svc.service.ctx);
    expect(await db('audit_log').count<{ n: string }[]>('* as n')).to.deep.equal(before);
  });
});
