// Outside checks of the campaigns domain: the API called as real users would, with inputs nobody listed.
// Every refusal must be a 4xx JSON error {error:{code,message,details}} (never a 500) that writes nothing (no
// campaign.* row on the public log, no ledger row), and money must stay consistent (balanced per fund, every
// paid line posted once).
import { expect } from 'chai';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { api, auditSeq, errorCode, userToken, type ApiResponse } from '../support/api';
import { testService } from '../support/env';
import { paymentTestHooks } from '../../src/campaigns/service';
import { allLines, createCampaign, db, funds, household, ok, people, today, waitPayable } from './support';


/** A refusal in the design's shape, with the expected status (and code). */
function refused(r: ApiResponse, status: number, code?: string) {
  expect(r.status, r.text.slice(0, 300)).to.equal(status);
  const c = errorCode(r);
  if (code) expect(c, r.text.slice(0, 300)).to.equal(code);
  return c;
}

/** The campaign.* rows of the public log after `seq` (other domains' jobs append rows of their own). */
async function campaignRows(after: number, campaignId?: number) {
  const out: { action: string; subject: string; actor: string }[] = [];
  let cursor = after;
  for (;;) {
    const r = await api('GET', `/public/log?after=${cursor}&limit=500`);
    expect(r.status).to.equal(200);
    const items = r.body.items as { seq: number; action: string; subject: string; actor: string }[];
    out.push(...items.filter((i) => i.action.startsWith('campaign.') && (campaignId === undefined || i.subject === `campaign:${campaignId}`)));
    if (items.length < 500) return out;
    cursor = items[items.length - 1]!.seq;
  }
}

/**
 * Runs `f` (expected to be refused) and checks that no campaign row nor campaign posting was written. The notice
 * sweep (a background job) may turn any roll payable meanwhile: those rows are not the call's.
 */
async function writesNothing(f: () => Promise<void>) {
  const seq = await auditSeq();
  const k = db();
  const count = async () => Number((await k('journal_entries').where('source_ref', 'like', 'campaign:%').count('* as c').first())!.c);
  const entries = await count();
  const lines = Number((await k('campaign_lines').count('* as c').first())!.c);
  await f();
  const rows = (await campaignRows(seq)).filter((r) => !(r.action === 'campaign.payable' && r.actor === 'system'));
  expect(rows, 'campaign.* rows written by a refused call').to.deep.equal([]);
  expect(await count(), 'journal entries written by a refused call').to.equal(entries);
  expect(Number((await k('campaign_lines').count('* as c').first())!.c)).to.equal(lines);
}

async function ledgerOf(id: number) {
  const { rows } = await db().raw(
    `SELECT l.account, l.fund, l.household_id, coalesce(l.debit, 0)::text AS debit, coalesce(l.credit, 0)::text AS credit, l.memo, l.entry_id
       FROM journal_lines l WHERE l.memo LIKE ? ORDER BY l.id`, [`C${id}-%`]);
  return rows as { account: string; fund: string; household_id: number; debit: string; credit: string; memo: string; entry_id: number }[];
}

const cents = (v: string) => Math.round(Number(v) * 100);

/** Money stays consistent: every entry and every fund balanced; each paid line's expense posted exactly once. */
async function moneyConsistent(token: string, id: number) {
  const ledger = await ledgerOf(id);
  const by = (key: (l: (typeof ledger)[number]) => string) => {
    const m = new Map<string, number>();
    for (const l of ledger) m.set(key(l), (m.get(key(l)) ?? 0) + cents(l.debit) - cents(l.credit));
    return m;
  };
  for (const [k, v] of by((l) => `entry ${l.entry_id}`)) expect(v, k).to.equal(0);
  for (const [k, v] of by((l) => `fund ${l.fund}`)) expect(v, k).to.equal(0);
  const lines = (await allLines(token, id)).filter((l) => l.status === 'included');
  const expense = ledger.filter((l) => l.account === '5101');
  for (const l of lines) {
    const mine = expense.filter((e) => e.memo.startsWith(`C${id}-${l.lineNo} `));
    if (l.payState === 'unpaid') expect(mine, `line ${l.lineNo} unpaid`).to.have.length(0);
    else {
      expect(mine, `line ${l.lineNo} ${l.payState}: its expense once`).to.have.length(1);
      expect(mine[0]!.debit).to.equal(l.amount);
    }
  }
  // Nothing of a line that is not on the roll.
  const onRoll = new Set(lines.map((l) => l.lineNo));
  for (const e of ledger) expect(onRoll.has(Number(/^C\d+-(\d+)/.exec(e.memo)![1])), e.memo).to.equal(true);
}

describe('campaigns: outside checks (probe)', function () {
  this.timeout(180_000);
  // Districts few other test files use; the database is shared, so assertions look at this file's households.
  const A = 'CP';
  const B = 'DX';
  const R = 'MTG'; // rare characters
  const E = 'SJS'; // nobody eligible
  const H = 'XC'; // huge amounts
  let p: Awaited<ReturnType<typeof people>>;
  let tree: { root: string; funds: Record<string, string> };
  const h: Record<string, { id: number; account?: string }> = {};
  const rules = { perCategory: { deep: '800.00', relative: '500.00', accidental: '600.00' }, perAdditionalMember: '100.00', perCause: { education: '300.00' }, cap: '1000.00' };

  before(async () => {
    p = await people([A, B, R, E, H]);
    tree = await funds(p.finance.token, [A, B, R, E, H], '200000.00');
    // Some cash drawn in district A, for the line paid in cash.
    await ok('POST', '/journal-entries', p.finance.token, { date: today(), description: '提取备用金', lines: [{ account: '1001', fund: tree.funds[A], debit: '5000.00' }, { account: '1002', fund: tree.funds[A], credit: '5000.00' }] });
    const a = p.officers[A]!.token;
    const b = p.officers[B]!.token;
    h.a1 = await household(a, A, { headName: '张三明', category: 'deep', memberCount: 3, causes: ['illness', 'education'] });
    h.a2 = await household(a, A, { headName: '李四', category: 'relative', memberCount: 1, causes: ['other'] });
    h.a3 = await household(a, A, { headName: '王五六', category: 'accidental', memberCount: 2, causes: ['disaster'] });
    h.aNoBank = await household(a, A, { headName: '钱七', category: 'deep', memberCount: 1, causes: ['other'] }, false);
    h.b1 = await household(b, B, { headName: '孙七', category: 'deep', memberCount: 2, causes: ['other'] });
    h.b2 = await household(b, B, { headName: '周八', category: 'relative', memberCount: 1, causes: ['other'] });
    // 韩㛃: a given name in CJK Extension A that GBK cannot hold (iconv-lite would write "?").
    h.r1 = await household(p.officers[R]!.token, R, { headName: '韩㛃', category: 'deep', memberCount: 1, causes: ['other'] });
    h.r2 = await household(p.officers[R]!.token, R, { headName: '陈国强', category: 'deep', memberCount: 1, causes: ['other'] });
    h.h1 = await household(p.officers[H]!.token, H, { headName: '郑一', category: 'deep', memberCount: 1, causes: ['other'] });
    h.h2 = await household(p.officers[H]!.token, H, { headName: '郑二', category: 'deep', memberCount: 1, causes: ['other'] });
  });

  it('create: amounts with 3 decimals or as JSON numbers, negative add-ons, unknown codes, empty eligibility, odd years are 400 and write nothing', async () => {
    const base = { name: '探测', kind: 'other', year: Number(today().slice(0, 4)), funds: [tree.funds[A]], rules };
    const bodies: Record<string, unknown>[] = [
      { ...base, rules: { ...rules, perCategory: { deep: '800.005' } } },
      { ...base, rules: { ...rules, perCategory: { deep: 800 } } },
      { ...base, rules: { ...rules, cap: 1000.5 } },
      { ...base, rules: { ...rules, perAdditionalMember: '-50.00' } },
      { ...base, rules: { ...rules, perCause: { education: '-1.00' } } },
      { ...base, rules: { ...rules, perCategory: { deep: '0.00' } } },
      { ...base, rules: { ...rules, cap: '99999999999999999.00' } },
      { ...base, rules: { ...rules, perCategory: { poor: '100.00' } } },
      { ...base, rules: { ...rules, perCause: { lottery: '100.00' } } },
      { ...base, rules: { ...rules, perCategory: {} } },
      { ...base, eligibility: { statuses: [] } },
      { ...base, eligibility: { categories: [] } },
      { ...base, eligibility: { districts: [] } },
      { ...base, eligibility: { statuses: ['archived'] } },
      { ...base, eligibility: { categories: ['poor'] } },
      { ...base, eligibility: { districts: ['cy'] } },
      { ...base, eligibility: { notExitedThisYear: 'yes' } },
      { ...base, quotas: { [A]: -1 } },
      { ...base, quotas: { [A]: 1.5 } },
      { ...base, year: 1999 },
      { ...base, year: '2026' },
      { ...base, name: '' },
      { ...base, name: '<script>' },
      { ...base, funds: [] },
      { ...base, funds: [tree.funds[A], tree.funds[A]] },
    ];
    await writesNothing(async () => {
      for (const body of bodies) refused(await api('POST', '/campaigns', { token: p.city.token, body }), 400, 'validation_failed');
      // A fund that does not exist, and an eligible category without a base amount.
      refused(await api('POST', '/campaigns', { token: p.city.token, body: { ...base, funds: ['NO-SUCH-FUND'] } }), 400);
      refused(await api('POST', '/campaigns', { token: p.city.token, body: { ...base, eligibility: { categories: ['deep', 'relative'] }, rules: { ...rules, perCategory: { deep: '800.00' } } } }), 400);
      // A base above the cap.
      refused(await api('POST', '/campaigns', { token: p.city.token, body: { ...base, rules: { ...rules, perCategory: { deep: '2000.00' } } } }), 422, 'amount_above_cap');
    });
  });

  it('a campaign with no eligible household: the roll is built empty, submitting it is refused and writes nothing', async function () {
    // Returned accidental files of one district: none in this file; skipped if another file made one.
    const c = await createCampaign(p.city.token, { funds: [tree.funds[E]], rules, eligibility: { districts: [E], statuses: ['returned'], categories: ['accidental'] } });
    const built = await ok('POST', `/campaigns/${c.id}/roll`, p.city.token, {});
    if (built.lines !== 0) this.skip();
    expect([built.lines, built.included, built.total]).to.deep.equal([0, 0, '0.00']);
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${c.id}/submit`, { token: p.city.token, body: {} }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${c.id}/approve`, { token: p.approver1.token, body: {} }), 409);
      refused(await api('POST', `/campaigns/${c.id}/payments`, { token: p.finance.token, body: {} }), 409);
    });
  });

  it('huge caps: a roll whose total would not fit the books is 422 amount_out_of_range, never a 500, and writes nothing', async () => {
    const huge = '9999999999999999.99';
    const c = await createCampaign(p.city.token, { funds: [tree.funds[H]], rules: { perCategory: { deep: huge }, cap: huge }, eligibility: { districts: [H] } });
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${c.id}/roll`, { token: p.city.token, body: { dryRun: true } }), 422, 'amount_out_of_range');
      refused(await api('POST', `/campaigns/${c.id}/roll`, { token: p.city.token, body: {} }), 422, 'amount_out_of_range');
    });
    // Within range: one line at the cap is fine; adjusting a second one up to it is refused the same way.
    const one = await createCampaign(p.city.token, { funds: [tree.funds[H]], rules: { perCategory: { deep: '1.00' }, cap: huge }, eligibility: { districts: [H] } });
    await ok('POST', `/campaigns/${one.id}/roll`, p.city.token, {});
    const lines = await allLines(p.city.token, one.id);
    expect(lines.length).to.be.at.least(2);
    await ok('POST', `/campaigns/${one.id}/lines/${lines[0].lineNo}/review`, p.officers[H]!.token, { action: 'adjust', amount: '9999999999990000.00', reason: '核查' });
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${one.id}/lines/${lines[1].lineNo}/review`, { token: p.officers[H]!.token, body: { action: 'adjust', amount: huge, reason: '核查' } }), 422, 'amount_out_of_range');
    });
  });

  let main: { id: number };
  let lineNoOf: (hid: number) => number;
  it('review: twice, above the cap, excluded then included, out of district, by the wrong roles — clear 4xx, nothing half-written', async () => {
    main = await createCampaign(p.city.token, { name: '２０２６春节送温暖🎉', funds: [tree.funds[A], tree.funds[B]], rules, eligibility: { districts: [A, B] } });
    await ok('POST', `/campaigns/${main.id}/roll`, p.city.token, {});
    const lines = await allLines(p.city.token, main.id);
    lineNoOf = (hid) => lines.find((l) => l.householdId === hid)!.lineNo as number;
    const a = p.officers[A]!.token;
    const path = (hid: number) => `/campaigns/${main.id}/lines/${lineNoOf(hid)}/review`;
    await ok('POST', path(h.a2!.id), a, { action: 'exclude', reason: '已享受其他慰问' });
    await writesNothing(async () => {
      refused(await api('POST', path(h.a2!.id), { token: a, body: { action: 'exclude', reason: '再次剔除' } }), 409, 'invalid_state');
      refused(await api('POST', path(h.a2!.id), { token: a, body: { action: 'adjust', amount: '100.00', reason: '已剔除' } }), 409, 'invalid_state');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'include', reason: '本就在内' } }), 409, 'invalid_state');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'adjust', amount: '1000.01', reason: '超封顶' } }), 422, 'amount_above_cap');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'adjust', amount: '900.005', reason: '三位小数' } }), 400, 'validation_failed');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'adjust', amount: 900, reason: '数字' } }), 400, 'validation_failed');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'adjust', amount: '-5.00', reason: '负数' } }), 400, 'validation_failed');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'exclude', amount: '5.00', reason: '多余字段' } }), 400, 'validation_failed');
      refused(await api('POST', path(h.a1!.id), { token: a, body: { action: 'exclude', reason: '   ' } }), 400, 'validation_failed');
      refused(await api('POST', path(h.b1!.id), { token: a, body: { action: 'exclude', reason: '外区' } }), 403);
      refused(await api('POST', path(h.a1!.id), { token: p.finance.token, body: { action: 'exclude', reason: '财务' } }), 403);
      refused(await api('POST', path(h.a1!.id), { token: p.auditor.token, body: { action: 'exclude', reason: '审计' } }), 403);
      refused(await api('POST', path(h.a1!.id), { token: p.approver1.token, body: { action: 'exclude', reason: '审批人' } }), 403);
      refused(await api('POST', `/campaigns/${main.id}/lines/999999/review`, { token: a, body: { action: 'exclude', reason: '无此行' } }), 404);
      refused(await api('POST', `/campaigns/${main.id}/lines/0/review`, { token: a, body: { action: 'exclude', reason: '零' } }), 400);
      refused(await api('POST', `/campaigns/2147483647/lines/1/review`, { token: a, body: { action: 'exclude', reason: '无此活动' } }), 404);
    });
    // Excluded then included: back on the roll with its amount; the recompute keeps the decision.
    const back = await ok('POST', path(h.a2!.id), a, { action: 'include', reason: '复核后恢复' });
    expect(back).to.deep.include({ status: 'included', amount: '500.00' });
    await ok('POST', path(h.a1!.id), a, { action: 'adjust', amount: '950.00', reason: '入户核实' });
    await ok('POST', `/campaigns/${main.id}/roll`, p.city.token, {});
    const after = await allLines(p.city.token, main.id);
    expect(after.find((l) => l.householdId === h.a1!.id)).to.deep.include({ amount: '950.00', status: 'included' });
    expect(after.find((l) => l.householdId === h.a2!.id)).to.deep.include({ amount: '500.00', status: 'included' });
  });

  it('roles and districts: another district’s officer, finance approving, an auditor writing, a district approver on a city-wide roll', async () => {
    const a = p.officers[A]!.token;
    const b = p.officers[B]!.token;
    const own = await createCampaign(a, { funds: [tree.funds[A]], rules });
    const approverB = await userToken(['approver'], B);
    const approverA = await userToken(['approver'], A);
    await writesNothing(async () => {
      refused(await api('GET', `/campaigns/${own.id}`, { token: b }), 404);
      refused(await api('POST', `/campaigns/${own.id}/roll`, { token: b, body: {} }), 404);
      refused(await api('POST', `/campaigns/${own.id}/cancel`, { token: approverB.token, body: { note: '外区取消' } }), 404);
      refused(await api('POST', '/campaigns', { token: a, body: { name: 'x', kind: 'other', year: 2026, funds: [tree.funds[B]], rules } }), 422, 'fund_out_of_scope');
      refused(await api('POST', '/campaigns', { token: a, body: { name: 'x', kind: 'other', year: 2026, funds: [tree.funds[A]], rules, eligibility: { districts: [B] } } }), 403);
      refused(await api('POST', '/campaigns', { token: p.auditor.token, body: { name: 'x', kind: 'other', year: 2026, funds: [tree.funds[A]], rules } }), 403);
      refused(await api('POST', '/campaigns', { token: p.finance.token, body: { name: 'x', kind: 'other', year: 2026, funds: [tree.funds[A]], rules } }), 403);
      refused(await api('POST', `/campaigns/${main.id}/roll`, { token: p.auditor.token, body: {} }), 403);
      refused(await api('POST', `/campaigns/${main.id}/roll`, { token: a, body: {} }), 403); // a city-wide roll is built at the city level
      refused(await api('POST', `/campaigns/${main.id}/submit`, { token: a, body: {} }), 403);
      refused(await api('POST', `/campaigns/${main.id}/approve`, { token: p.finance.token, body: {} }), 403);
      refused(await api('POST', `/campaigns/${main.id}/payments`, { token: p.auditor.token, body: {} }), 403);
      refused(await api('GET', `/campaigns/${main.id}/bank-file`, { token: p.approver1.token }), 403);
      // A district user may neither cancel nor send back a city-wide roll (its makers and approvers are city-level).
      refused(await api('POST', `/campaigns/${main.id}/cancel`, { token: a, body: { note: '区经办取消' } }), 403);
      refused(await api('POST', `/campaigns/${main.id}/cancel`, { token: approverA.token, body: { note: '区审批取消' } }), 403);
    });
    await ok('POST', `/campaigns/${main.id}/submit`, p.city.token, {});
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${main.id}/approve`, { token: approverA.token, body: {} }), 403);
      refused(await api('POST', `/campaigns/${main.id}/send-back`, { token: approverA.token, body: { note: '区审批退回' } }), 403);
      refused(await api('POST', `/campaigns/${main.id}/approve`, { token: p.city.token, body: {} }), 403);
      refused(await api('POST', `/campaigns/${main.id}/submit`, { token: p.city.token, body: {} }), 409, 'invalid_state');
    });
  });

  it('after approval: rebuild, review, pay before the notice ends, objections on another campaign’s line, resolving twice', async () => {
    await ok('POST', `/campaigns/${main.id}/approve`, p.approver1.token, {});
    // Another campaign in notice too, with more lines than `main` has, for the cross-campaign probes.
    const other = await createCampaign(p.city.token, { funds: [tree.funds[B]], rules, eligibility: { districts: [B] } });
    await ok('POST', `/campaigns/${other.id}/roll`, p.city.token, {});
    const notYet = await api('POST', `/public/campaigns/${other.id}/lines/1/objections`, { body: { text: '不在公示' } });
    const a = p.officers[A]!.token;
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${main.id}/roll`, { token: p.city.token, body: {} }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/roll`, { token: p.city.token, body: { dryRun: true } }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/lines/${lineNoOf(h.a1!.id)}/review`, { token: a, body: { action: 'exclude', reason: '批后' } }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': `early-${main.id}` } }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/lines/${lineNoOf(h.a1!.id)}/cash`, { token: p.finance.token, body: { note: '现金' } }), 409, 'invalid_state');
      refused(await api('GET', `/campaigns/${main.id}/bank-file`, { token: p.finance.token }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/bank-results`, { token: p.finance.token, body: { format: 'csv', content: '附言,状态\nC1-1,成功' } }), 409, 'invalid_state');
      // Objections: a campaign not in notice, a line number that does not exist on this roll, a removed line, empty text.
      refused(await api('POST', `/public/campaigns/${main.id}/lines/999999/objections`, { body: { text: '无此行' } }), 404);
      refused(await api('POST', `/public/campaigns/${main.id}/lines/${lineNoOf(h.a1!.id)}/objections`, { body: { text: '<b></b>' } }), 400);
      refused(await api('POST', `/public/campaigns/${main.id}/lines/${lineNoOf(h.a1!.id)}/objections`, { body: { text: 12 } }), 400);
    });
    refused(notYet, 404);
    await ok('POST', `/campaigns/${other.id}/submit`, p.city.token, {});
    await ok('POST', `/campaigns/${other.id}/approve`, p.approver1.token, {});
    const o1 = await api('POST', `/public/campaigns/${main.id}/lines/${lineNoOf(h.b2!.id)}/objections`, { body: { text: '该户已迁出 ✅', contact: '' } });
    expect(o1.status).to.equal(201);
    const o2 = await api('POST', `/public/campaigns/${main.id}/lines/${lineNoOf(h.a3!.id)}/objections`, { body: { text: '收入已超标' } });
    expect(o2.status).to.equal(201);
    // Payment while an objection is open, after the notice ended: still refused.
    await new Promise((r) => setTimeout(r, 2200));
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {} }), 409, 'invalid_state');
      // Resolving through another campaign's path, by a finance user, by the approver who approved, with a bad outcome.
      refused(await api('POST', `/campaigns/${other.id}/objections/${o1.body.id}/resolve`, { token: p.approver2.token, body: { outcome: 'upheld', note: '错路径' } }), 404);
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: p.finance.token, body: { outcome: 'upheld', note: '财务' } }), 403);
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: p.approver1.token, body: { outcome: 'upheld', note: '自己批的' } }), 403, 'maker_checker');
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: p.approver2.token, body: { outcome: 'maybe', note: '？' } }), 400);
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: await userToken(['approver'], A).then((u) => u.token), body: { outcome: 'upheld', note: '外区' } }), 403);
    });
    await ok('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, p.approver2.token, { outcome: 'upheld', note: '核查属实' });
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: p.approver2.token, body: { outcome: 'upheld', note: '再次' } }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/objections/${o1.body.id}/resolve`, { token: p.approver2.token, body: { outcome: 'dismissed', note: '改主意' } }), 409, 'invalid_state');
      refused(await api('POST', `/public/campaigns/${main.id}/lines/${lineNoOf(h.b2!.id)}/objections`, { body: { text: '已移出的行' } }), 404);
    });
    await ok('POST', `/campaigns/${main.id}/objections/${o2.body.id}/resolve`, p.approver2.token, { outcome: 'dismissed', note: '核查不属实' });
    await waitPayable(p.city.token, main.id);
    const lines = await allLines(p.city.token, main.id);
    expect(lines.find((l) => l.householdId === h.b2!.id).status).to.equal('removed');
  });

  it('payment: a future date is refused whole; two runs at once (same and different keys) pay each line once; cash during a run is refused', async () => {
    const tomorrow = new Date(Date.now() + 36 * 3600_000).toISOString().slice(0, 10);
    await writesNothing(async () => {
      const r = await api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: { date: tomorrow } });
      expect(r.status).to.be.within(400, 499);
      errorCode(r);
      refused(await api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: { date: '2026-02-30' } }), 400);
    });
    // Cash asked for a line while the run is between chunks: refused (the run would pay it again by bank).
    paymentTestHooks.chunkSize = 1;
    let cash: ApiResponse | undefined;
    paymentTestHooks.beforeChunk = async (index) => {
      if (index === 1 && !cash) cash = await api('POST', `/campaigns/${main.id}/lines/${lineNoOf(h.b1!.id)}/cash`, { token: p.finance.token, body: { note: '现金发放' } });
    };
    const key = `probe-pay-${main.id}`;
    let answers: ApiResponse[];
    try {
      answers = await Promise.all([
        api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } }),
        api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } }),
        api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': `${key}-other` } }),
      ]);
    } finally {
      paymentTestHooks.chunkSize = null;
      paymentTestHooks.beforeChunk = null;
    }
    for (const r of answers) {
      if (r.status !== 200) refused(r, 409);
    }
    expect(answers.filter((r) => r.status === 200).length).to.be.at.least(1);
    expect(cash, 'the hook ran').not.to.equal(undefined);
    refused(cash!, 409, 'payment_running');
    // Finish (whatever a refused concurrent request left) and replay the first key.
    const done = await ok('POST', `/campaigns/${main.id}/payments`, p.finance.token, {});
    expect(done.status).to.equal('paying'); // the line without a bank account stays open, for cash
    expect(done.withoutBankAccount).to.be.at.least(1);
    const firstOk = answers.find((r) => r.status === 200 && r.body.paidNow > 0);
    if (firstOk && answers[0]!.status === 200) {
      const replay = await api('POST', `/campaigns/${main.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': key } });
      expect(replay.body).to.deep.equal(answers[0]!.body);
    }
    await moneyConsistent(p.city.token, main.id);
    const paid = (await allLines(p.city.token, main.id)).filter((l) => l.status === 'included' && l.payState === 'paid').map((l) => l.householdId);
    expect(paid).to.include.members([h.a1!.id, h.a2!.id, h.a3!.id, h.b1!.id]);
    expect(paid).not.to.include.members([h.aNoBank!.id]);
    expect(paid).not.to.include.members([h.b2!.id]);
    // Cash for the household without an account: once; a second time (same key or not) changes nothing.
    const noBank = lineNoOf(h.aNoBank!.id);
    const c1 = await api('POST', `/campaigns/${main.id}/lines/${noBank}/cash`, { token: p.finance.token, body: { note: '无银行账户，现金发放' }, headers: { 'Idempotency-Key': `cash-${main.id}` } });
    expect(c1.status, c1.text).to.equal(200);
    const c2 = await api('POST', `/campaigns/${main.id}/lines/${noBank}/cash`, { token: p.finance.token, body: { note: '无银行账户，现金发放' }, headers: { 'Idempotency-Key': `cash-${main.id}` } });
    expect(c2.status).to.equal(200);
    expect(c2.body).to.deep.equal(c1.body);
    await writesNothing(async () => {
      refused(await api('POST', `/campaigns/${main.id}/lines/${noBank}/cash`, { token: p.finance.token, body: { note: '再次' } }), 409, 'invalid_state');
      refused(await api('POST', `/campaigns/${main.id}/lines/${lineNoOf(h.b2!.id)}/cash`, { token: p.finance.token, body: { note: '已移出' } }), 409, 'invalid_state');
    });
    await moneyConsistent(p.city.token, main.id);
  });

  it('result files: unknown references, duplicated lines, wrong amounts, empty, garbage are 400 and write nothing; GBK and UTF-8 both read', async () => {
    const res = await fetch(`${testService().url}/api/v1/campaigns/${main.id}/bank-file?format=csv`, { headers: { authorization: `Bearer ${p.finance.token}` } });
    expect(res.status).to.equal(200);
    const rows = iconv.decode(Buffer.from(await res.arrayBuffer()), 'gbk').trim().split('\r\n').map((r) => r.split(','));
    const awaiting = (await allLines(p.city.token, main.id)).filter((l) => l.payState === 'paid' && l.payMethod === 'bank');
    expect(rows).to.have.length(awaiting.length + 1);
    const refs = rows.slice(1).map((r) => ({ ref: r[5]!.split(' ')[0]!, amount: r[4]! }));
    const file = (xs: { ref: string; amount: string; ok?: boolean }[]) => ['附言,金额,状态,失败原因', ...xs.map((x) => `${x.ref},${x.amount},${x.ok === false ? '失败' : '成功'},${x.ok === false ? '户名不符' : ''}`)].join('\r\n');
    const post = (body: Record<string, unknown>) => api('POST', `/campaigns/${main.id}/bank-results`, { token: p.finance.token, body });
    await writesNothing(async () => {
      refused(await post({ format: 'csv', content: file([...refs, { ref: `C${main.id}-999999`, amount: '1.00' }]) }), 400);
      refused(await post({ format: 'csv', content: file([...refs, { ref: 'C1-1', amount: '1.00' }]) }), 400);
      refused(await post({ format: 'csv', content: file([...refs, { ref: '未知', amount: '1.00' }]) }), 400);
      refused(await post({ format: 'csv', content: file([...refs, refs[0]!]) }), 400);
      refused(await post({ format: 'csv', content: file([{ ...refs[0]!, amount: '1.00' }]) }), 400);
      refused(await post({ format: 'csv', content: file([{ ...refs[0]!, amount: `${refs[0]!.amount}1` }]) }), 400);
      refused(await post({ format: 'csv', content: file([{ ...refs[0]!, amount: '-1.00' }]) }), 400);
      refused(await post({ format: 'csv', content: '附言,金额,状态,失败原因\r\n' }), 400);
      refused(await post({ format: 'csv', content: '\r\n \r\n' }), 400);
      refused(await post({ format: 'csv', content: '' }), 400);
      refused(await post({ format: 'csv', content: '序号,金额\r\n1,2' }), 400);
      refused(await post({ format: 'csv', content: file(refs).replace('成功', '处理中') }), 400);
      refused(await post({ format: 'xlsx', contentBase64: Buffer.from('not a workbook').toString('base64') }), 400);
      refused(await post({ format: 'xlsx', content: 'x' }), 400);
      refused(await post({ format: 'csv', contentBase64: '!!!' }), 400);
      refused(await post({ format: 'csv' }), 400);
    });
    // A line on the roll not on the file (the cash one, the removed one) is skipped; GBK and UTF-8 read alike.
    const cashed = `C${main.id}-${lineNoOf(h.aNoBank!.id)}`;
    const withFailure = file([...refs.map((r, i) => ({ ...r, ok: i !== 0 })), { ref: cashed, amount: '800.00', ok: false }]);
    const gbk = await ok('POST', `/campaigns/${main.id}/bank-results`, p.finance.token, { format: 'csv', contentBase64: iconv.encode(withFailure, 'gbk').toString('base64') });
    expect([gbk.confirmed, gbk.returned, gbk.skipped]).to.deep.equal([refs.length - 1, 1, 1]);
    expect(gbk.returnedLines[0].reason).to.equal('户名不符');
    const utf8 = await ok('POST', `/campaigns/${main.id}/bank-results`, p.finance.token, { format: 'csv', contentBase64: Buffer.from(`\uFEFF${withFailure}`, 'utf8').toString('base64') });
    expect([utf8.confirmed, utf8.returned, utf8.skipped]).to.deep.equal([0, 0, refs.length + 1]);
    await moneyConsistent(p.city.token, main.id);
    const progress = await ok('GET', `/campaigns/${main.id}/progress`, p.city.token);
    expect(progress.lines.returned).to.equal(1);
  });

  it('rare characters: the GBK bank file refuses names it cannot write (422 naming the lines, nothing recorded); XLSX carries them', async () => {
    const c = await createCampaign(p.officers[R]!.token, { name: '夏送清凉·𠮷野家', kind: 'summer_cooling', funds: [tree.funds[R]], rules });
    await ok('POST', `/campaigns/${c.id}/roll`, p.officers[R]!.token, {});
    await ok('POST', `/campaigns/${c.id}/submit`, p.officers[R]!.token, {});
    await ok('POST', `/campaigns/${c.id}/approve`, p.approver1.token, {});
    const pub = await api('GET', `/public/campaigns/${c.id}/lines`);
    expect(pub.body.items.map((l: { maskedName: string }) => l.maskedName)).to.include('韩*');
    await waitPayable(p.city.token, c.id);
    await ok('POST', `/campaigns/${c.id}/payments`, p.finance.token, {});
    await writesNothing(async () => {
      const r = await api('GET', `/campaigns/${c.id}/bank-file?format=csv`, { token: p.finance.token });
      refused(r, 422, 'not_gbk_encodable');
      expect(r.body.error.details.lines).to.deep.equal([{ lineNo: (await allLines(p.city.token, c.id)).find((l) => l.householdId === h.r1!.id).lineNo, field: '收款户名' }]);
      expect(r.text).not.to.contain(h.r1!.account);
    });
    const x = await fetch(`${testService().url}/api/v1/campaigns/${c.id}/bank-file?format=xlsx`, { headers: { authorization: `Bearer ${p.finance.token}` } });
    expect(x.status).to.equal(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await x.arrayBuffer());
    const names: string[] = [];
    wb.worksheets[0]!.eachRow((row) => names.push(row.getCell(3).text));
    expect(names).to.include('韩㛃');
    await moneyConsistent(p.city.token, c.id);
  });
});
