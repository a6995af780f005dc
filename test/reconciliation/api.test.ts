import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { fixture } from './parse.test';
import { donate, fundTree } from '../support/fixtures';

/** A fresh fund tree (root → district fund) for one scenario; returns the district fund's code. */
const newFund = async (token: string) => (await fundTree(token, ['CY'])).funds.CY!;

async function pay(token: string, fund: string, amount: string, date: string, description: string, account = '5101') {
  const r = await api('POST', '/journal-entries', { token, body: { date, description, lines: [{ account, fund, debit: amount }, { account: '1002', fund, credit: amount }] } });
  expect(r.status, r.text).to.equal(201);
  return r.body;
}

const csvOf = (rows: string[][]) => ['日期,摘要,流水号,对方户名,金额', ...rows.map((r) => r.join(','))].join('\n');

describe('reconciliation API: import, auto-match, manual match, report, close', () => {
  let finance: string, auditor: string, officer: string;
  before(async () => {
    finance = (await userToken(['finance'])).token;
    auditor = (await userToken(['auditor'])).token;
    officer = (await userToken(['officer'], 'CY')).token;
  });

  describe('import', () => {
    let fund: string;
    before(async () => {
      fund = await newFund(finance);
    });
    const base = () => ({ fund, periodFrom: '2026-10-01', periodTo: '2026-10-31', openingBalance: '5000.00', closingBalance: '13487.50' });

    it('imports a GBK CSV sent as base64, and the statement reads back with its lines', async () => {
      const r = await api('POST', '/bank-statements', { token: finance, body: { ...base(), periodFrom: '2026-10-01', periodTo: '2026-10-31', format: 'csv', contentBase64: fixture('cn-gbk.csv').toString('base64') } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ fund, lineCount: 3, encoding: 'gbk', status: 'open', openingBalance: '5000.00', closingBalance: '13487.50' });
      const g = await api('GET', `/bank-statements/${r.body.id}?limit=2`, { token: auditor });
      expect(g.status).to.equal(200);
      expect(g.body.lines.items.map((l: any) => l.description)).to.deep.equal(['捐赠 温暖基金', '救助款 2026-CY-0007']);
      expect(g.body.lines.items[1]).to.include({ amount: '-1500.00', reference: 'LS0002', matchId: null });
      const next = await api('GET', `/bank-statements/${r.body.id}?limit=2&cursor=${g.body.lines.nextCursor}`, { token: auditor });
      expect(next.body.lines.items.map((l: any) => l.amount)).to.deep.equal(['-12.50']);
      expect(next.body.lines.nextCursor).to.equal(null);
    });

    it('imports camt.053; the same statement again is 409 duplicate_statement, an overlapping one 409 statement_overlaps', async () => {
      const body = { ...base(), periodFrom: '2026-09-01', periodTo: '2026-09-30', format: 'camt053', content: fixture('camt053.xml').toString('utf8').replaceAll('2026-10-31', '2026-09-30').replaceAll('2026-10-', '2026-09-') };
      const r = await api('POST', '/bank-statements', { token: finance, body });
      expect(r.status, r.text).to.equal(201);
      expect(r.body.lineCount).to.equal(3);
      const before = await auditSeq();
      const again = await api('POST', '/bank-statements', { token: finance, body });
      expect(again.status).to.equal(409);
      expect(errorCode(again)).to.equal('duplicate_statement');
      const overlap = await api('POST', '/bank-statements', { token: finance, body: { ...base(), periodFrom: '2026-09-15', periodTo: '2026-09-20', openingBalance: '0.00', closingBalance: '0.00', format: 'csv', content: 'date,amount\n' } });
      expect(overlap.status).to.equal(409);
      expect(errorCode(overlap)).to.equal('statement_overlaps');
      expect(await auditSeq()).to.equal(before);
    });

    const malformed: [string, string, 'csv' | 'camt053', Record<string, string>, RegExp][] = [
      ['bad date', 'bad-date.csv', 'csv', { closingBalance: '5015.00' }, /line 3/],
      ['bad amount', 'bad-amount.csv', 'csv', {}, /line 3/],
      ['missing column', 'missing-column.csv', 'csv', {}, /no header row/],
      ['running balance that disagrees', 'running-balance.csv', 'csv', { closingBalance: '5075.00' }, /line 3 \(balance\)/],
      ['wrong closing balance', 'en-signed.csv', 'csv', { periodFrom: '2026-10-01', periodTo: '2026-10-31', closingBalance: '1.00' }, /closing balance/],
      ['empty file', 'empty.csv', 'csv', {}, /empty/],
      ['bad XML', 'bad.xml', 'camt053', {}, /not well-formed/],
      ['camt.053 nested deeper than the limit', 'deep.xml', 'camt053', {}, /nested deeper than 40/],
    ];
    for (const [what, file, format, over, message] of malformed) {
      it(`refuses a file with a ${what}: 400 naming the line, nothing stored, nothing audited`, async () => {
        const before = await auditSeq();
        const count = (await api('GET', `/bank-statements?fund=${fund}`, { token: auditor })).body.items.length;
        const r = await api('POST', '/bank-statements', { token: finance, body: { ...base(), periodFrom: '2026-11-01', periodTo: '2026-11-30', ...over, format, content: over.periodFrom ? fixture(file).toString('utf8') : fixture(file).toString('utf8').replaceAll('2026-10-', '2026-11-') } });
        expect(r.status, r.text).to.equal(400);
        expect(errorCode(r)).to.equal('validation_failed');
        expect(r.body.error.message).to.match(message);
        expect(r.body.error.details[0]).to.have.property('line');
        expect(await auditSeq()).to.equal(before);
        const list = await api('GET', `/bank-statements?fund=${fund}`, { token: auditor });
        expect(list.body.items.length).to.equal(count);
      });
    }

    it('refuses JSON numbers for amounts, content and contentBase64 together, an unknown fund, and wrong roles', async () => {
      const numeric = await api('POST', '/bank-statements', { token: finance, body: { ...base(), openingBalance: 5000, format: 'csv', content: 'date,amount\n' } });
      expect(numeric.status).to.equal(400);
      const both = await api('POST', '/bank-statements', { token: finance, body: { ...base(), format: 'csv', content: 'x', contentBase64: 'eA==' } });
      expect(both.status).to.equal(400);
      const unknown = await api('POST', '/bank-statements', { token: finance, body: { ...base(), fund: 'NO-SUCH-FUND', format: 'csv', content: 'date,amount\n' } });
      expect(unknown.status).to.equal(404);
      for (const token of [auditor, officer]) {
        const r = await api('POST', '/bank-statements', { token, body: { ...base(), format: 'csv', content: 'date,amount\n' } });
        expect(r.status).to.equal(403);
      }
      expect((await api('GET', `/bank-statements?fund=${fund}`, { token: officer })).status).to.equal(403);
    });
  });

  describe('a month with traps, from import to close', () => {
    let fund: string, statementId: number;
    const lines: Record<string, any> = {};
    before(async () => {
      fund = await newFund(finance);
      await donate(finance, fund, '10000.00', '2024-07-01');
      await pay(finance, fund, '1500.00', '2024-07-08', '救助款 2024-CY-0007');
      await pay(finance, fund, '500.00', '2024-07-10', '付款 A');
      await pay(finance, fund, '500.00', '2024-07-11', '付款 B');
      const wrong = await pay(finance, fund, '800.00', '2024-07-12', '付款 (错)');
      const rv = await api('POST', `/journal-entries/${wrong.id}/reverse`, { token: finance, body: { date: '2024-07-12', reason: '记错' } });
      expect(rv.status, rv.text).to.equal(201);
      await pay(finance, fund, '800.00', '2024-07-13', '付款 C');
      await donate(finance, fund, '1800.00', '2024-07-15');
      await donate(finance, fund, '1200.00', '2024-07-15');
      await pay(finance, fund, '2000.00', '2024-07-30', '救助款 in transit');
      const content = csvOf([
        ['2024-07-02', '捐赠款', 'B01', '爱心企业', '10000.00'],
        ['2024-07-08', '救助款 2024-CY-0007', 'B02', '张*明', '-1500.00'],
        ['2024-07-11', '付款', 'B03', '', '-500.00'],
        ['2024-07-12', '付款', 'B04', '', '-500.00'],
        ['2024-07-13', '付款', 'B05', '', '-800.00'],
        ['2024-07-15', '捐赠款 批量', 'B06', '', '3000.00'],
        ['2024-07-31', '手续费', 'B07', '', '-12.50'],
      ]);
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, periodFrom: '2024-07-01', periodTo: '2024-07-31', openingBalance: '0.00', closingBalance: '9687.50', format: 'csv', content } });
      expect(r.status, r.text).to.equal(201);
      statementId = r.body.id;
      const g = await api('GET', `/bank-statements/${statementId}`, { token: finance });
      for (const l of g.body.lines.items) lines[l.reference] = l;
    });

    it('auto-match takes the sure pairs only, with rule and score, and is audited', async () => {
      const before = await auditSeq();
      const r = await api('POST', `/bank-statements/${statementId}/auto-match`, { token: finance, body: {} });
      expect(r.status, r.text).to.equal(200);
      expect(r.body).to.include({ matched: 3, windowDays: 3 });
      const byLine = Object.fromEntries(r.body.matches.map((m: any) => [m.statementLineId, m]));
      expect(byLine[lines.B01.id]).to.include({ rule: 'amount_date', score: 80 });
      expect(byLine[lines.B02.id]).to.include({ rule: 'reference' });
      expect(byLine[lines.B05.id]).to.include({ rule: 'amount_date' });
      expect(r.body.ambiguous.map((a: any) => a.statementLineId)).to.have.members([lines.B03.id, lines.B04.id]);
      expect(await auditSeq()).to.equal(before + 1);
    });

    it('the report lists what is open on both sides and refuses to close while the difference is unexplained', async () => {
      const rec = await api('GET', `/bank-statements/${statementId}/reconciliation`, { token: auditor });
      expect(rec.status).to.equal(200);
      expect(rec.body).to.include({ statementClosingBalance: '9687.50', ledgerBalance: '7700.00', difference: '1987.50', matchedTotal: '7700.00' });
      expect(rec.body.unmatchedStatementLines.map((l: any) => l.amount)).to.deep.equal(['-500.00', '-500.00', '3000.00', '-12.50']);
      expect(rec.body.unmatchedStatementLines[0]).to.have.keys('id', 'statementId', 'date', 'amount', 'description');
      expect(rec.body.unmatchedLedgerLines.map((l: any) => l.amount)).to.deep.equal(['-500.00', '-500.00', '1800.00', '1200.00', '-2000.00']);
      expect(rec.body.explained.cancelledLedgerLines.map((l: any) => l.amount)).to.have.members(['-800.00', '800.00']);
      expect(rec.body.unexplainedDifference).to.equal('1987.50');
      expect(rec.body.canClose).to.equal(false);
      const before = await auditSeq();
      const c = await api('POST', `/bank-statements/${statementId}/close`, { token: finance });
      expect(c.status).to.equal(422);
      expect(errorCode(c)).to.equal('unreconciled_difference');
      expect(await auditSeq()).to.equal(before);
    });

    it('manual matches: one to one, one bank line to two ledger lines when they sum exactly, never when they do not', async () => {
      const rec = (await api('GET', `/bank-statements/${statementId}/reconciliation`, { token: finance })).body;
      const ledger = (amount: string, i = 0) => rec.unmatchedLedgerLines.filter((l: any) => l.amount === amount)[i].id;
      const a = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B03.id], ledgerLineIds: [ledger('-500.00', 0)] } });
      expect(a.status, a.text).to.equal(201);
      expect(a.body).to.include({ rule: 'manual', score: 100, statementId });
      const b = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B04.id], ledgerLineIds: [ledger('-500.00', 1)] } });
      expect(b.status).to.equal(201);
      const short = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B06.id], ledgerLineIds: [ledger('1800.00')] } });
      expect(short.status).to.equal(422);
      expect(errorCode(short)).to.equal('match_amounts_differ');
      const split = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B06.id], ledgerLineIds: [ledger('1800.00'), ledger('1200.00')], note: '批量捐赠' } });
      expect(split.status, split.text).to.equal(201);
      expect(split.body.ledgerLines).to.have.length(2);
      const twice = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B03.id], ledgerLineIds: [ledger('-2000.00')] } });
      expect(twice.status).to.equal(409);
      expect(errorCode(twice)).to.equal('already_matched');
      // and undo one, then redo it
      const del = await api('DELETE', `/reconciliation/matches/${b.body.id}`, { token: finance });
      expect(del.status, del.text).to.equal(200);
      expect((await api('GET', `/reconciliation/matches/${b.body.id}`, { token: auditor })).status).to.equal(404);
      const redo = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [lines.B04.id], ledgerLineIds: [ledger('-500.00', 1)] } });
      expect(redo.status).to.equal(201);
    });

    it('several bank lines to one ledger line, when they sum exactly', async () => {
      const f = await newFund(finance);
      await donate(finance, f, '300.00', '2024-05-10');
      const content = csvOf([['2024-05-10', 'part 1', 'P1', '', '100.00'], ['2024-05-11', 'part 2', 'P2', '', '200.00']]);
      const s = await api('POST', '/bank-statements', { token: finance, body: { fund: f, periodFrom: '2024-05-01', periodTo: '2024-05-31', openingBalance: '0.00', closingBalance: '300.00', format: 'csv', content } });
      const rec = (await api('GET', `/bank-statements/${s.body.id}/reconciliation`, { token: finance })).body;
      const m = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: rec.unmatchedStatementLines.map((l: any) => l.id), ledgerLineIds: [rec.unmatchedLedgerLines[0].id] } });
      expect(m.status, m.text).to.equal(201);
      const after = (await api('GET', `/bank-statements/${s.body.id}/reconciliation`, { token: finance })).body;
      expect(after).to.include({ unexplainedDifference: '0.00', canClose: true, matchedTotal: '300.00' });
    });

    it('once the bank fee is booked and matched, it closes with the payment still in transit; then nothing changes', async () => {
      const stillOpen = (await api('GET', `/bank-statements/${statementId}/reconciliation`, { token: finance })).body;
      expect(stillOpen.unexplainedDifference).to.equal('-12.50');
      await pay(finance, fund, '12.50', '2024-07-31', '银行手续费', '5201');
      const auto = await api('POST', `/bank-statements/${statementId}/auto-match`, { token: finance, body: { windowDays: 0 } });
      expect(auto.body.matched).to.equal(1);
      const rec = (await api('GET', `/bank-statements/${statementId}/reconciliation`, { token: finance })).body;
      expect(rec).to.include({ ledgerBalance: '7687.50', difference: '2000.00', unexplainedDifference: '0.00', canClose: true });
      expect(rec.unmatchedStatementLines).to.deep.equal([]);
      expect(rec.unmatchedLedgerLines.map((l: any) => l.amount)).to.deep.equal(['-2000.00']);
      const before = await auditSeq();
      const c = await api('POST', `/bank-statements/${statementId}/close`, { token: finance });
      expect(c.status, c.text).to.equal(200);
      expect(c.body.status).to.equal('closed');
      expect(await auditSeq()).to.equal(before + 1);
      const audit = await api('GET', `/audit?subject=bank-statement:${statementId}`, { token: auditor });
      expect(audit.body.items.map((i: any) => i.action)).to.include.members(['reconciliation.statement_imported', 'reconciliation.auto_matched', 'reconciliation.matched', 'reconciliation.unmatched', 'reconciliation.closed']);

      const g = await api('GET', `/bank-statements/${statementId}`, { token: finance });
      const matchId = g.body.lines.items.find((l: any) => l.matchId).matchId;
      for (const [method, path, body] of [
        ['POST', `/bank-statements/${statementId}/auto-match`, {}],
        ['POST', `/bank-statements/${statementId}/close`, {}],
        ['DELETE', `/reconciliation/matches/${matchId}`, undefined],
      ] as const) {
        const r = await api(method, path, { token: finance, body });
        expect(r.status, `${method} ${path}`).to.equal(409);
        expect(errorCode(r)).to.equal('reconciliation_closed');
      }
      expect(await auditSeq()).to.equal(before + 1);
    });

    it('the payment in transit clears on the next month statement without touching the closed month', async () => {
      const content = csvOf([['2024-08-02', '救助款', 'C01', '', '-2000.00']]);
      const s = await api('POST', '/bank-statements', { token: finance, body: { fund, periodFrom: '2024-08-01', periodTo: '2024-08-31', openingBalance: '9687.50', closingBalance: '7687.50', format: 'csv', content } });
      expect(s.status, s.text).to.equal(201);
      const m = await api('POST', `/bank-statements/${s.body.id}/auto-match`, { token: finance, body: {} });
      expect(m.body.matched).to.equal(1);
      const aug = (await api('GET', `/bank-statements/${s.body.id}/reconciliation`, { token: finance })).body;
      expect(aug).to.include({ difference: '0.00', unexplainedDifference: '0.00', canClose: true });
      const jul = (await api('GET', `/bank-statements/${statementId}/reconciliation`, { token: finance })).body;
      expect(jul).to.include({ status: 'closed', unexplainedDifference: '0.00', difference: '2000.00' });
      expect(jul.unmatchedLedgerLines.map((l: any) => l.amount)).to.deep.equal(['-2000.00']);
    });
  });

  it('404 for a statement or match that does not exist; auditors read, officers do not', async () => {
    expect((await api('GET', '/bank-statements/999999', { token: auditor })).status).to.equal(404);
    expect((await api('GET', '/bank-statements/999999/reconciliation', { token: auditor })).status).to.equal(404);
    expect((await api('DELETE', '/reconciliation/matches/999999', { token: finance })).status).to.equal(404);
    expect((await api('GET', '/bank-statements/1/reconciliation', { token: officer })).status).to.equal(403);
  });
  it('a wrongly imported statement can be withdrawn while open and unmatched, then imported again', async () => {
    const fund = await newFund(finance);
    await donate(finance, fund, '100.00', '2026-09-03');
    const body = { fund, periodFrom: '2026-09-01', periodTo: '2026-09-30', openingBalance: '0.00', closingBalance: '100.00', format: 'csv', content: csvOf([['2026-09-03', '捐赠', 'D1', '爱心企业', '100.00']]) };
    const first = await api('POST', '/bank-statements', { token: finance, body });
    expect(first.status, first.text).to.equal(201);
    expect((await api('DELETE', `/bank-statements/${first.body.id}`, { token: auditor })).status).to.equal(403);
    const del = await api('DELETE', `/bank-statements/${first.body.id}`, { token: finance });
    expect(del.status, del.text).to.equal(200);
    expect((await api('GET', `/bank-statements/${first.body.id}`, { token: finance })).status).to.equal(404);
    const again = await api('POST', '/bank-statements', { token: finance, body });
    expect(again.status, again.text).to.equal(201);
    const m = await api('POST', `/bank-statements/${again.body.id}/auto-match`, { token: finance, body: {} });
    expect(m.body.matched, m.text).to.equal(1);
    const seq = await auditSeq();
    const refused = await api('DELETE', `/bank-statements/${again.body.id}`, { token: finance });
    expect(refused.status).to.equal(409);
    expect(errorCode(refused)).to.equal('invalid_state');
    expect(await auditSeq()).to.equal(seq);
    expect((await api('POST', `/bank-statements/${again.body.id}/close`, { token: finance, body: {} })).status).to.equal(200);
    expect(errorCode(await api('DELETE', `/bank-statements/${again.body.id}`, { token: finance }))).to.equal('reconciliation_closed');
  });
});
