import { expect } from 'chai';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { testService } from '../support/env';
import { amountFor } from '../../src/campaigns';
import { aidPaidByHousehold } from '../../src/ledger';
import { paymentTestHooks } from '../../src/campaigns/service';
import { accountNo, allLines, createCampaign, db, funds, household, ok, payableCampaign, people, today, waitPayable } from './support';

const ledgerCounts = async () => {
  const k = db();
  const [e, l] = await Promise.all([k('journal_entries').count('* as c').first(), k('journal_lines').count('* as c').first()]);
  return { entries: Number(e!.c), lines: Number(l!.c), seq: await auditSeq() };
};

/** The ledger lines of one campaign (tagged by memo C<id>-<line>). */
async function campaignLedger(id: number) {
  const { rows } = await db().raw(
    `SELECT l.account, l.household_id, l.debit, l.credit, l.memo, e.number, e.id AS entry_id FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
      WHERE l.memo LIKE ? ORDER BY l.id`, [`C${id}-%`]);
  return rows as { account: string; household_id: number; debit: string | null; credit: string | null; memo: string; entry_id: number }[];
}

describe('campaigns (两节送温暖)', function () {
  this.timeout(120_000);
  let p: Awaited<ReturnType<typeof people>>;
  let tree: { root: string; funds: Record<string, string> };
  const h: Record<string, { id: number; account?: string }> = {};

  before(async () => {
    p = await people(['FS', 'TZ']);
    tree = await funds(p.finance.token, ['FS', 'TZ'], '500000.00');
    const fs = p.officers.FS!.token;
    const tz = p.officers.TZ!.token;
    h.deepBig = await household(fs, 'FS', { headName: '张三明', category: 'deep', memberCount: 3, causes: ['illness', 'education'] });
    h.relative = await household(fs, 'FS', { headName: '李四', category: 'relative', memberCount: 1, causes: ['other'] });
    h.accidental = await household(fs, 'FS', { headName: '王五六', category: 'accidental', memberCount: 2, causes: ['disaster'] });
    h.archived = await household(fs, 'FS', { headName: '赵六', category: 'deep', memberCount: 1, causes: ['other'] });
    await ok('POST', `/households/${h.archived.id}/archive`, fs, { date: today(), reason: '迁出', evidence: '证明' });
    h.tzDeep = await household(tz, 'TZ', { headName: '孙七', category: 'deep', memberCount: 2, causes: ['other'] });
    h.tzRelative = await household(tz, 'TZ', { headName: '周八', category: 'relative', memberCount: 1, causes: ['other'] });
  });

  const rules = { perCategory: { deep: '800.00', relative: '500.00', accidental: '600.00' }, perAdditionalMember: '100.00', perCause: { education: '300.00' }, cap: '1000.00' };
  const lineOf = (lines: any[], hid: number) => lines.find((l) => l.householdId === hid);

  it('amount rules: base by category, add-ons per member and cause, capped per household', () => {
    expect(amountFor(rules, { category: 'deep', memberCount: 3, causes: ['illness', 'education'] })).to.deep.include({ amount: '1000.00' });
    expect(amountFor(rules, { category: 'deep', memberCount: 3, causes: ['illness', 'education'] })!.rule).to.contain('封顶 1000.00');
    expect(amountFor(rules, { category: 'accidental', memberCount: 2, causes: ['disaster'] })!.amount).to.equal('700.00');
    expect(amountFor(rules, { category: 'relative', memberCount: 1, causes: ['other'] })!.amount).to.equal('500.00');
    expect(amountFor({ perCategory: { deep: '1.00' }, cap: '5.00' }, { category: 'relative', memberCount: 1, causes: [] })).to.equal(null);
  });

  let roll: { id: number };
  it('builds the roll from the files by the rules (archived files never), and a recompute shows what changed', async () => {
    roll = await createCampaign(p.city.token, { funds: [tree.funds.FS, tree.funds.TZ], rules, eligibility: { districts: ['FS', 'TZ'] } });
    const built = await ok('POST', `/campaigns/${roll.id}/roll`, p.city.token, {});
    expect(built.added).to.be.at.least(5);
    const lines = await allLines(p.city.token, roll.id);
    expect(lineOf(lines, h.deepBig!.id)).to.deep.include({ amount: '1000.00', ruleAmount: '1000.00', district: 'FS', category: 'deep', maskedName: '张*明', status: 'included' });
    expect(lineOf(lines, h.relative!.id).amount).to.equal('500.00');
    expect(lineOf(lines, h.accidental!.id).amount).to.equal('700.00');
    expect(lineOf(lines, h.tzDeep!.id).amount).to.equal('900.00');
    expect(lineOf(lines, h.archived!.id)).to.equal(undefined);
    // The files change: one becomes deep, one is new; the recompute answers the difference.
    await ok('PATCH', `/households/${h.relative!.id}`, p.officers.FS!.token, { category: 'deep' });
    h.late = await household(p.officers.FS!.token, 'FS', { headName: '吴九', category: 'relative', memberCount: 1, causes: ['other'] });
    const preview = await ok('POST', `/campaigns/${roll.id}/roll`, p.city.token, { dryRun: true });
    expect(preview.changes.added.map((a: any) => a.householdId)).to.include(h.late.id);
    const again = await ok('POST', `/campaigns/${roll.id}/roll`, p.city.token, {});
    expect(again.changes.added.map((a: any) => a.householdId)).to.include(h.late.id);
    expect(again.changes.amountChanged.find((c: any) => c.householdId === h.relative!.id)).to.deep.include({ from: '500.00', to: '800.00' });
    const after = await ok('POST', `/campaigns/${roll.id}/roll`, p.city.token, { dryRun: true });
    expect([after.added, after.removed, after.amountChanged]).to.deep.equal([0, 0, 0]);
  });

  it('refuses a fund out of the campaign’s scope and a roll over CAMPAIGN_ROLL_MAX_LINES-like limits of input', async () => {
    const other = await funds(p.finance.token, ['HD'], '0.00');
    const r = await api('POST', '/campaigns', { token: p.officers.FS!.token, body: { name: 'x', kind: 'other', year: 2026, funds: [other.funds.HD], rules } });
    expect(r.status).to.equal(422);
    expect(errorCode(r)).to.equal('fund_out_of_scope');
    const bad = await api('POST', '/campaigns', { token: p.city.token, body: { name: 'x', kind: 'nope', year: 2026, funds: [tree.funds.FS], rules } });
    expect(bad.status).to.equal(400);
  });

  it('district review: officers act on their district’s lines only, with a reason, within the cap; all audited', async () => {
    const before = await auditSeq();
    const lines = await allLines(p.city.token, roll.id);
    const fsLine = lineOf(lines, h.accidental!.id);
    const tzLine = lineOf(lines, h.tzRelative!.id);
    const fs = p.officers.FS!.token;
    const cross = await api('POST', `/campaigns/${roll.id}/lines/${tzLine.lineNo}/review`, { token: fs, body: { action: 'exclude', reason: '核查' } });
    expect(cross.status).to.equal(403);
    const over = await api('POST', `/campaigns/${roll.id}/lines/${fsLine.lineNo}/review`, { token: fs, body: { action: 'adjust', amount: '1500.00', reason: '核查' } });
    expect(over.status).to.equal(422);
    expect(errorCode(over)).to.equal('amount_above_cap');
    const noReason = await api('POST', `/campaigns/${roll.id}/lines/${fsLine.lineNo}/review`, { token: fs, body: { action: 'adjust', amount: '650.00' } });
    expect(noReason.status).to.equal(400);
    const adj = await ok('POST', `/campaigns/${roll.id}/lines/${fsLine.lineNo}/review`, fs, { action: 'adjust', amount: '650.00', reason: '入户核实后调整' });
    expect(adj).to.deep.include({ amount: '650.00', ruleAmount: '700.00', reviewNote: '入户核实后调整' });
    const ex = await ok('POST', `/campaigns/${roll.id}/lines/${lineOf(lines, h.late!.id).lineNo}/review`, fs, { action: 'exclude', reason: '已享受其他慰问' });
    expect(ex.status).to.equal('excluded');
    // The TZ officer sees TZ lines only; asking for FS is refused.
    const tzView = await allLines(p.officers.TZ!.token, roll.id);
    expect(tzView.every((l) => l.district === 'TZ')).to.equal(true);
    expect((await api('GET', `/campaigns/${roll.id}/lines?district=FS`, { token: p.officers.TZ!.token })).status).to.equal(403);
    // The recompute keeps a reviewer's adjustment (within the cap) and exclusion.
    await ok('POST', `/campaigns/${roll.id}/roll`, p.city.token, {});
    const kept = await allLines(p.city.token, roll.id);
    expect(lineOf(kept, h.accidental!.id).amount).to.equal('650.00');
    expect(lineOf(kept, h.late!.id).status).to.equal('excluded');
    const c = await ok('GET', `/campaigns/${roll.id}`, p.city.token);
    expect(c.timeline.filter((e: any) => e.action === 'line_reviewed')).to.have.length(2);
    const log = await api('GET', `/public/log?after=${before}&limit=500`);
    expect(log.body.items.filter((r: any) => r.action === 'campaign.line_reviewed')).to.have.length(2);
  });

  it('maker-checker on the whole roll and tiers by the total (two distinct foundation approvers above the top tier)', async () => {
    // A district officer who also approves built it (a district campaign): may not approve it.
    const makerApprover = await userToken(['officer', 'approver'], 'FS');
    const reviewerApprover = await userToken(['officer', 'approver'], 'FS');
    const big = await createCampaign(makerApprover.token, { funds: [tree.funds.FS], rules: { perCategory: { deep: '900000.00', relative: '900000.00', accidental: '900000.00' }, cap: '900000.00' }, eligibility: { districts: ['FS'] } });
    await ok('POST', `/campaigns/${big.id}/roll`, makerApprover.token, {});
    const lines = await allLines(makerApprover.token, big.id);
    await ok('POST', `/campaigns/${big.id}/lines/${lines[0].lineNo}/review`, reviewerApprover.token, { action: 'adjust', amount: '800000.00', reason: '复核' });
    await ok('POST', `/campaigns/${big.id}/submit`, makerApprover.token, {});
    for (const who of [makerApprover, reviewerApprover]) {
      const r = await api('POST', `/campaigns/${big.id}/approve`, { token: who.token, body: {} });
      expect(r.status).to.equal(403);
      expect(errorCode(r)).to.equal('maker_checker');
    }
    const fsApprover = await userToken(['approver'], 'FS');
    const district = await api('POST', `/campaigns/${big.id}/approve`, { token: fsApprover.token, body: {} });
    expect(district.status).to.equal(403);
    expect(district.body.error.details.tier).to.equal('two_foundation');
    const first = await ok('POST', `/campaigns/${big.id}/approve`, p.approver1.token, {});
    expect(first.status).to.equal('submitted');
    expect(first.approvals).to.have.length(1);
    const again = await api('POST', `/campaigns/${big.id}/approve`, { token: p.approver1.token, body: {} });
    expect(errorCode(again)).to.equal('already_approved');
    const second = await ok('POST', `/campaigns/${big.id}/approve`, p.approver2.token, {});
    expect(second.status).to.equal('in_notice');
    expect(second.tier).to.equal('two_foundation');
  });

  it('public notice: the roll masked; an upheld objection removes its line (not by whoever approved)', async () => {
    await ok('POST', `/campaigns/${roll.id}/submit`, p.city.token, {});
    await ok('POST', `/campaigns/${roll.id}/approve`, p.approver1.token, {});
    const board = await api('GET', '/public/campaigns');
    expect(board.body.items.map((c: any) => c.id)).to.include(roll.id);
    const pub = await api('GET', `/public/campaigns/${roll.id}/lines?limit=500`);
    expect(pub.status).to.equal(200);
    const target = pub.body.items.find((l: any) => l.maskedName === '孙*');
    expect(target).to.include.keys('lineNo', 'maskedName', 'district', 'category', 'amount');
    expect(Object.keys(target)).to.have.length(5);
    expect(pub.text).not.to.contain('孙七');
    for (const x of Object.values(h)) if (x.account) expect(pub.text).not.to.contain(x.account);
    const o = await api('POST', `/public/campaigns/${roll.id}/lines/${target.lineNo}/objections`, { body: { text: '该户已迁出本市' } });
    expect(o.status).to.equal(201);
    const byApprover = await api('POST', `/campaigns/${roll.id}/objections/${o.body.id}/resolve`, { token: p.approver1.token, body: { outcome: 'upheld', note: '属实' } });
    expect(errorCode(byApprover)).to.equal('maker_checker');
    const resolved = await ok('POST', `/campaigns/${roll.id}/objections/${o.body.id}/resolve`, p.approver2.token, { outcome: 'upheld', note: '核查属实' });
    expect(resolved.objections[0].status).to.equal('upheld');
    const lines = await allLines(p.city.token, roll.id);
    expect(lineOf(lines, h.tzDeep!.id).status).to.equal('removed');
    const pub2 = await api('GET', `/public/campaigns/${roll.id}/lines?limit=500`);
    expect(pub2.body.items.map((l: any) => l.lineNo)).not.to.include(target.lineNo);
    await waitPayable(p.city.token, roll.id);
  });

  it('payment is refused when a fund is short, and writes nothing', async () => {
    const poor = await funds(p.finance.token, ['FS'], '100.00');
    const c = await payableCampaign(p, { funds: [poor.funds.FS], rules, eligibility: { districts: ['FS'] } });
    const before = await ledgerCounts();
    const r = await api('POST', `/campaigns/${c.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': `short-${c.id}` } });
    expect(r.status).to.equal(409);
    expect(errorCode(r)).to.equal('insufficient_funds');
    expect(r.body.error.details.fund).to.equal(poor.funds.FS);
    expect(await ledgerCounts()).to.deep.equal(before);
    const lines = await allLines(p.city.token, c.id);
    expect(lines.every((l) => l.payState === 'unpaid')).to.equal(true);
  });

  it('a payment run stopped halfway and retried pays every line exactly once', async () => {
    const before = await ledgerCounts();
    paymentTestHooks.chunkSize = 1;
    paymentTestHooks.crashAfterPostedLines = 2;
    try {
      const crashed = await api('POST', `/campaigns/${roll.id}/payments`, { token: p.finance.token, body: {}, headers: { 'Idempotency-Key': `pay-${roll.id}-a` } });
      expect(crashed.status).to.equal(500);
    } finally {
      paymentTestHooks.crashAfterPostedLines = null;
    }
    const mid = await allLines(p.city.token, roll.id);
    expect(mid.filter((l) => l.payState === 'paid')).to.have.length(1); // the second line was posted, not marked
    expect(new Set((await campaignLedger(roll.id)).map((l) => l.entry_id)).size).to.equal(2);
    // Another finance user retries (keys per line are not per user).
    const other = await userToken(['finance']);
    const retry = await ok('POST', `/campaigns/${roll.id}/payments`, other.token, {}, { 'Idempotency-Key': `pay-${roll.id}-b` });
    paymentTestHooks.chunkSize = null;
    const lines = await allLines(p.city.token, roll.id);
    const included = lines.filter((l) => l.status === 'included');
    const mine = [h.deepBig!, h.relative!, h.accidental!, h.tzRelative!].map((x) => lineOf(lines, x.id));
    expect(mine.every((l) => l.payState === 'paid' && l.entryNumber)).to.equal(true);
    const ledger = await campaignLedger(roll.id);
    const expense = ledger.filter((l) => l.account === '5101');
    // One entry per paid household, each with its expense once; totals tie to the roll's paid lines.
    const paid = included.filter((l) => l.payState === 'paid');
    expect(expense.map((l) => l.household_id).sort()).to.deep.equal(paid.map((l) => l.householdId).sort());
    expect(new Set(expense.map((l) => l.entry_id)).size).to.equal(paid.length);
    const sumOf = (xs: (string | null)[]) => xs.reduce((s, v) => s + Math.round(Number(v ?? 0) * 100), 0);
    expect(sumOf(expense.map((l) => l.debit))).to.equal(sumOf(paid.map((l) => l.amount)));
    expect(sumOf(ledger.filter((l) => l.account === '1002').map((l) => l.credit))).to.equal(sumOf(paid.map((l) => l.amount)));
    expect(retry.paidNow + 1).to.equal(paid.length);
    const after = await ledgerCounts();
    expect(after.entries - before.entries).to.equal(paid.length);
    // A replay of the same request answers the same; a new run pays nothing more.
    const replay = await ok('POST', `/campaigns/${roll.id}/payments`, other.token, {}, { 'Idempotency-Key': `pay-${roll.id}-b` });
    expect(replay).to.deep.equal(retry);
    const third = await ok('POST', `/campaigns/${roll.id}/payments`, p.finance.token, {});
    expect(third.paidNow).to.equal(0);
    expect((await ledgerCounts()).entries).to.equal(after.entries);
  });

  it('the bank file (GBK CSV, XLSX) and a result file failing some lines: the transfer is posted back, the line is paid again', async () => {
    const csv = await api('GET', `/campaigns/${roll.id}/bank-file?format=csv`, { token: p.finance.token });
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.contain('GBK');
    const res = await fetch(`${testService().url}/api/v1/campaigns/${roll.id}/bank-file?format=csv`, { headers: { authorization: `Bearer ${p.finance.token}` } });
    const text = iconv.decode(Buffer.from(await res.arrayBuffer()), 'gbk');
    const rows = text.trim().split('\r\n').map((r) => r.split(','));
    expect(rows[0]).to.deep.equal(['序号', '收款账号', '收款户名', '开户行', '金额', '附言']);
    const deepRow = rows.find((r) => r[1] === h.deepBig!.account)!;
    expect(deepRow[2]).to.equal('张三明');
    expect(deepRow[4]).to.equal('1000.00');
    expect(deepRow[5]).to.match(new RegExp(`^C${roll.id}-\\d+ `));
    expect((await api('GET', `/campaigns/${roll.id}/bank-file`, { token: p.auditor.token })).status).to.equal(403);
    const xres = await fetch(`${testService().url}/api/v1/campaigns/${roll.id}/bank-file?format=xlsx`, { headers: { authorization: `Bearer ${p.finance.token}` } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xres.arrayBuffer());
    expect(wb.worksheets[0]!.getRow(1).getCell(6).text).to.equal('附言');
    expect(wb.worksheets[0]!.rowCount).to.equal(rows.length);

    // The bank answers: every line succeeded but the deep household's (account closed).
    const failRef = deepRow[5]!.split(' ')[0]!;
    const result = ['序号,附言,金额,状态,失败原因', ...rows.slice(1).map((r) => `${r[0]},${r[5]},${r[4]},${r[5]!.startsWith(failRef + ' ') ? '失败' : '成功'},${r[5]!.startsWith(failRef + ' ') ? '账户已销户' : ''}`)].join('\r\n');
    const bad = await api('POST', `/campaigns/${roll.id}/bank-results`, { token: p.finance.token, body: { format: 'csv', content: result.replace(failRef, 'C999999-1') } });
    expect(bad.status).to.equal(400);
    const before = await ledgerCounts();
    const imported = await ok('POST', `/campaigns/${roll.id}/bank-results`, p.finance.token, { format: 'csv', contentBase64: iconv.encode(result, 'gbk').toString('base64'), encoding: 'gbk' });
    expect(imported.returned).to.equal(1);
    expect(imported.confirmed).to.equal(rows.length - 2);
    expect(imported.returnedLines[0]).to.deep.include({ maskedName: '张*明', reason: '账户已销户', amount: '1000.00' });
    expect((await ledgerCounts()).entries).to.equal(before.entries + 1);
    const back = (await campaignLedger(roll.id)).filter((l) => l.household_id === h.deepBig!.id);
    expect(back.filter((l) => l.account === '1002' && l.debit === '1000.00')).to.have.length(1);
    const progress = await ok('GET', `/campaigns/${roll.id}/progress`, p.city.token);
    expect(progress.lines.returned).to.equal(1);
    expect(progress.status).to.equal('paying');
    expect(progress.byDistrict.map((d: any) => d.district)).to.include.members(['FS', 'TZ']);
    // The household's aid received counts money that reached it: nothing while the transfer is back.
    expect((await aidPaidByHousehold(db(), [h.deepBig!.id])).get(h.deepBig!.id)).to.equal(undefined);
    // Importing the same file again changes nothing.
    const twice = await ok('POST', `/campaigns/${roll.id}/bank-results`, p.finance.token, { format: 'csv', content: result });
    expect([twice.returned, twice.confirmed]).to.deep.equal([0, 0]);
    // Second attempt: the transfer alone (Dr 2209 / Cr 1002), the expense is not counted twice.
    await ok('PUT', `/households/${h.deepBig!.id}/bank-account`, p.officers.FS!.token, { bankAccount: { accountNo: accountNo(), accountName: '张三明', bankName: '中国银行' } });
    // A run stopped after posting the transfer, before marking the line: meanwhile the line cannot be settled in
    // cash (by this or any instance: the bank and cash payments of one attempt share the line's key).
    paymentTestHooks.chunkSize = 1;
    paymentTestHooks.crashAfterPostedLines = 1;
    try {
      expect((await api('POST', `/campaigns/${roll.id}/payments`, { token: p.finance.token, body: {} })).status).to.equal(500);
    } finally {
      paymentTestHooks.chunkSize = null;
      paymentTestHooks.crashAfterPostedLines = null;
    }
    const deepLine = lineOf(await allLines(p.city.token, roll.id), h.deepBig!.id);
    expect(deepLine.payState).to.equal('returned');
    await ok('POST', '/journal-entries', p.finance.token, { date: today(), description: '提取备用金 Petty cash', lines: [{ account: '1001', fund: deepLine.fund, debit: '1000.00' }, { account: '1002', fund: deepLine.fund, credit: '1000.00' }] });
    const cash = await api('POST', `/campaigns/${roll.id}/lines/${deepLine.lineNo}/cash`, { token: p.finance.token, body: { note: '现金' } });
    expect(cash.status, cash.text).to.equal(409);
    expect(errorCode(cash)).to.equal('idempotency_conflict');
    const repay = await ok('POST', `/campaigns/${roll.id}/payments`, p.finance.token, {});
    expect(repay.paidNow).to.equal(1);
    const deepLedger = (await campaignLedger(roll.id)).filter((l) => l.household_id === h.deepBig!.id);
    expect(deepLedger.filter((l) => l.account === '5101')).to.have.length(1);
    expect(deepLedger.filter((l) => l.account === '1002' && l.credit === '1000.00')).to.have.length(2);
    expect((await ok('GET', `/campaigns/${roll.id}/progress`, p.city.token)).lines.returned).to.equal(0);
    expect((await aidPaidByHousehold(db(), [h.deepBig!.id])).get(h.deepBig!.id)).to.equal('1000.00');
  });

  it('the bank account: full for the district’s officers only, masked for others, never public, never in the audit log', async () => {
    const full = await ok('GET', `/households/${h.tzRelative!.id}/bank-account`, p.officers.TZ!.token);
    expect(full.bankAccount.accountNo).to.equal(h.tzRelative!.account);
    for (const who of [p.finance, p.auditor, p.approver1]) {
      const masked = await ok('GET', `/households/${h.tzRelative!.id}/bank-account`, who.token);
      expect(masked.bankAccount.masked).to.equal(true);
      expect(masked.bankAccount.accountNo).not.to.equal(h.tzRelative!.account);
      expect(masked.bankAccount.accountNo.slice(-4)).to.equal(h.tzRelative!.account!.slice(-4));
    }
    expect((await api('GET', `/households/${h.tzRelative!.id}/bank-account`, { token: p.officers.FS!.token })).status).to.equal(404);
    const { rows } = await db().raw(`SELECT count(*)::int AS n FROM audit_log WHERE public_payload::text LIKE ? OR private_payload::text LIKE ?`, [`%${h.tzRelative!.account}%`, `%${h.tzRelative!.account}%`]);
    expect(rows[0].n).to.equal(0);
    const stored = await db()('households').where({ id: h.tzRelative!.id }).first('bank_account_enc');
    expect(stored.bank_account_enc).to.match(/^v1\./);
    expect(stored.bank_account_enc).not.to.contain(h.tzRelative!.account);
    const publicLog = await api('GET', '/public/log?limit=500');
    for (const x of Object.values(h)) if (x.account) expect(publicLog.text).not.to.contain(x.account);
  });
});
