// Real bank files over the API: import of each layout (XLS/XLSX too), information lines that never match
// and are no open item, the preview that stores nothing, and import profiles saved then reused.
import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { donate, fundTree } from '../support/fixtures';
import { bankFixture, formatOf, MONTH, OCT } from './banks.test';

const newFund = async (token: string) => (await fundTree(token, ['CY'])).funds.CY!;
const b64 = (file: string) => bankFixture(file).toString('base64');

async function pay(token: string, fund: string, amount: string, date: string, description: string) {
  const r = await api('POST', '/journal-entries', { token, body: { date, description, lines: [{ account: '5101', fund, debit: amount }, { account: '1002', fund, credit: amount }] } });
  expect(r.status, r.text).to.equal(201);
}

async function statementsOf(token: string, fund: string) {
  return (await api('GET', `/bank-statements?fund=${fund}`, { token })).body.items.length as number;
}

describe('reconciliation API: real bank files, preview and import profiles', () => {
  let finance: string, auditor: string, officer: string;
  before(async () => {
    finance = (await userToken(['finance'])).token;
    auditor = (await userToken(['auditor'])).token;
    officer = (await userToken(['officer'], 'CY')).token;
  });

  const files = ['icbc-debit-v2-gbk.csv', 'ccb-debit.xls', 'boc-debit-utf16.csv', 'abc-debit-gbk.csv', 'cmb-debit.csv', 'bocom-debit-gbk.csv', 'psbc-debit.xlsx', 'icbc-corporate-gbk.csv', 'ccb-corporate.xlsx', 'abc-corporate-gbk.csv'];
  for (const file of files) {
    it(`imports ${file} as the bank exports it; lines stored oldest first with the information line kept`, async () => {
      const fund = await newFund(finance);
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: formatOf(file), contentBase64: b64(file) } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ lineCount: 5, format: formatOf(file) });
      const g = await api('GET', `/bank-statements/${r.body.id}`, { token: auditor });
      expect(g.body.lines.items.map((l: any) => ({ date: l.date, amount: l.amount, balance: l.balance }))).to.deep.equal(MONTH);
      expect(g.body.lines.items.map((l: any) => l.information)).to.deep.equal([false, false, true, false, false]);
    });
  }

  describe('information lines', () => {
    let fund: string, id: number;
    before(async () => {
      fund = await newFund(finance);
      await donate(finance, fund, '5000.00', '2026-09-30');
      await donate(finance, fund, '10000.00', '2026-10-02');
      await pay(finance, fund, '1500.00', '2026-10-08', '救助款 2026-CY-0007');
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'csv', contentBase64: b64('abc-debit-gbk.csv') } });
      expect(r.status, r.text).to.equal(201);
      id = r.body.id;
      expect(r.body).to.include({ account: '6228****5678', bank: 'ABC', profileId: null });
    });

    it('never match, are not counted as unmatched, are no open item of the report, and cannot be matched by hand', async () => {
      const am = await api('POST', `/bank-statements/${id}/auto-match`, { token: finance, body: {} });
      expect(am.status, am.text).to.equal(200);
      expect(am.body.matched).to.equal(2);
      expect(am.body.unmatchedStatementLines).to.equal(2); // interest and fee; not the 0.00 利息税
      const rep = await api('GET', `/bank-statements/${id}/reconciliation`, { token: auditor });
      expect(rep.body.unmatchedStatementLines.map((l: any) => l.amount)).to.deep.equal(['3.21', '-12.50']);
      const lines = (await api('GET', `/bank-statements/${id}`, { token: auditor })).body.lines.items;
      const info = lines.find((l: any) => l.information);
      expect(info).to.include({ amount: '0.00', matchId: null });
      const before = await auditSeq();
      const m = await api('POST', '/reconciliation/matches', { token: finance, body: { statementLineIds: [info.id], ledgerLineIds: [1] } });
      expect(m.status).to.equal(422);
      expect(errorCode(m)).to.equal('invalid_match');
      expect(await auditSeq()).to.equal(before);
    });
  });

  it('refuses a misprinted running balance, a corrupt spreadsheet and a spreadsheet sent as text: 400 naming the line, nothing stored', async () => {
    const fund = await newFund(finance);
    const before = await auditSeq();
    const bad = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'csv', contentBase64: b64('abc-debit-bad-balance-gbk.csv') } });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.details[0]).to.include({ line: 10, column: 'balance' });
    const corrupt = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'xlsx', contentBase64: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 3)]).toString('base64') } });
    expect(corrupt.status, corrupt.text).to.equal(400);
    expect(errorCode(corrupt)).to.equal('validation_failed');
    const text = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'xls', content: 'a,b' } });
    expect(text.status).to.equal(400);
    expect(await auditSeq()).to.equal(before);
    expect(await statementsOf(auditor, fund)).to.equal(0);
  });

  it('a statement in another currency is 422 currency_mismatch, nothing stored', async () => {
    const fund = await newFund(finance);
    const content = bankFixture('cmb-debit.csv').toString('utf8').replace('# 币种: [人民币]', '# 币种: [港币]');
    const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'csv', content } });
    expect(r.status, r.text).to.equal(422);
    expect(errorCode(r)).to.equal('currency_mismatch');
    expect(await statementsOf(auditor, fund)).to.equal(0);
  });

  describe('preview', () => {
    it('returns the detected layout, the first lines and the problems, and stores nothing (no audit row either)', async () => {
      const fund = await newFund(finance);
      const before = await auditSeq();
      const r = await api('POST', '/bank-statements/preview', { token: finance, body: { fund, format: 'csv', contentBase64: b64('icbc-debit-v2-gbk.csv') } });
      expect(r.status, r.text).to.equal(200);
      expect(r.body).to.include({ format: 'csv', encoding: 'gbk', bank: 'ICBC', headerRow: 7, order: 'newest_first', account: '6222****1234', currency: 'CNY', openingBalance: '5000.00', closingBalance: '13490.71', lineCount: 5, informationLines: 1, profileId: null });
      expect(r.body.columns.find((c: any) => c.header === '记账金额(收入)')).to.deep.equal({ index: 9, header: '记账金额(收入)', meaning: 'in' });
      expect(r.body.columns.find((c: any) => c.header === '交易金额(收入)').meaning).to.equal('ignored');
      expect(r.body.rows.map((l: any) => l.amount)).to.deep.equal(MONTH.map((m) => m.amount));
      expect(r.body.rows[1]).to.include({ line: 11, counterparty: '张三', counterpartyAccount: '6222****1234' });
      expect(r.body.problems).to.deep.equal([]);
      expect(await auditSeq()).to.equal(before);
      expect(await statementsOf(auditor, fund)).to.equal(0);
    });

    it('lists the problems of a file the import would refuse, by line, as a 200', async () => {
      const r = await api('POST', '/bank-statements/preview', { token: finance, body: { ...OCT, format: 'csv', contentBase64: b64('abc-debit-bad-balance-gbk.csv') } });
      expect(r.status).to.equal(200);
      expect(r.body.problems[0]).to.include({ line: 10, column: 'balance' });
      const unknown = await api('POST', '/bank-statements/preview', { token: finance, body: { format: 'csv', content: bankFixture('unknown-layout.csv').toString('utf8') } });
      expect(unknown.body.columns).to.deep.equal([]);
      expect(unknown.body.problems[0].problem).to.match(/no header row found/);
      expect(unknown.body.fileRows[1]).to.deep.equal({ line: 2, cells: ['日子', '进账', '出账', '结余', '备注'] });
    });

    it('is for finance and admin only, and validates its body', async () => {
      for (const token of [auditor, officer]) {
        expect((await api('POST', '/bank-statements/preview', { token, body: { format: 'csv', content: 'date,amount\n' } })).status).to.equal(403);
      }
      expect((await api('POST', '/bank-statements/preview', { token: finance, body: { format: 'pdf', content: 'x' } })).status).to.equal(400);
      expect((await api('POST', '/bank-statements/preview', { token: finance, body: { format: 'csv', content: 'x', openingBalance: 1 } })).status).to.equal(400);
    });
  });

  describe('import profiles', () => {
    const columns = { date: '日子', in: '进账', out: '出账', balance: '结余', description: '备注' };
    const unknown = () => bankFixture('unknown-layout.csv').toString('utf8');
    let fund: string, profileId: number;
    before(async () => {
      fund = await newFund(finance);
    });

    it('an unknown layout is refused until it is mapped once; the saved profile is audited', async () => {
      const refused = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, closingBalance: '13490.71', format: 'csv', content: unknown() } });
      expect(refused.status).to.equal(400);
      expect(refused.body.error.message).to.match(/no header row found/);
      const before = await auditSeq();
      const p = await api('POST', '/bank-import-profiles', { token: finance, body: { name: `村镇银行 ${fund}`, bank: '某村镇银行', fund, columns, dateFormat: 'DMY' } });
      expect(p.status, p.text).to.equal(201);
      expect(await auditSeq()).to.equal(before + 1);
      profileId = p.body.id;
      expect(p.body).to.include({ fund, dateFormat: 'DMY', headerRow: null });
      const got = await api('GET', `/bank-import-profiles/${profileId}`, { token: auditor });
      expect(got.body.columns).to.deep.equal(columns);
      const list = await api('GET', `/bank-import-profiles?fund=${fund}`, { token: auditor });
      expect(list.body.items.map((x: any) => x.id)).to.deep.equal([profileId]);
    });

    it('the preview and the import of that fund use the saved profile without being told', async () => {
      const pv = await api('POST', '/bank-statements/preview', { token: finance, body: { fund, format: 'csv', content: unknown() } });
      expect(pv.body).to.include({ profileId, headerRow: 2, lineCount: 4 });
      expect(pv.body.columns.map((c: any) => c.meaning)).to.deep.equal(['date', 'in', 'out', 'balance', 'description']);
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, format: 'csv', content: unknown() } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ lineCount: 4, profileId });
    });

    it('another fund uses it when named (profileId), or when the file names the profile\'s account', async () => {
      const other = await newFund(finance);
      const named = await api('POST', '/bank-statements', { token: finance, body: { fund: other, ...OCT, format: 'csv', content: unknown(), profileId } });
      expect(named.status, named.text).to.equal(201);
      const third = await newFund(finance);
      const acct = await api('POST', '/bank-import-profiles', { token: finance, body: { name: `按账号 ${third}`, account: '6230123456789012', columns, dateFormat: 'DMY' } });
      expect(acct.status, acct.text).to.equal(201);
      const withAccount = unknown().replace('某村镇银行 账户流水', '某村镇银行 账户流水\n账号：6230****9012');
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund: third, ...OCT, format: 'csv', content: withAccount } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ profileId: acct.body.id, account: '6230****9012' });
      await api('DELETE', `/bank-import-profiles/${acct.body.id}`, { token: finance });
    });

    it('is validated with limits: both in and out, a date, a known fund, a unique name; wrong roles refused', async () => {
      const bad: [object, number][] = [
        [{ name: 'x1', columns: { date: 'd', in: 'i' } }, 400],
        [{ name: 'x2', columns: { in: 'i', out: 'o' } }, 400],
        [{ name: 'x3', columns: { date: 'd', amount: 200 } }, 400],
        [{ name: 'x4', columns: { date: 'd', amount: 'a' }, headerRow: 0 }, 400],
        [{ name: 'x'.repeat(101), columns: { date: 'd', amount: 'a' } }, 400],
        [{ name: 'x5', columns: { date: 'd', amount: 'a' }, extra: 1 }, 400],
        [{ name: 'x6', fund: 'NO-SUCH-FUND', columns: { date: 'd', amount: 'a' } }, 404],
        [{ name: `村镇银行 ${fund}`.toUpperCase(), columns: { date: 'd', amount: 'a' } }, 409],
      ];
      const before = await auditSeq();
      for (const [body, status] of bad) {
        const r = await api('POST', '/bank-import-profiles', { token: finance, body });
        expect(r.status, JSON.stringify(body) + r.text).to.equal(status);
      }
      expect((await api('POST', '/bank-import-profiles', { token: auditor, body: { name: 'a', columns: { date: 'd', amount: 'a' } } })).status).to.equal(403);
      expect((await api('GET', '/bank-import-profiles', { token: officer })).status).to.equal(403);
      expect(await auditSeq()).to.equal(before);
    });

    it('is replaced with PUT and deleted with DELETE, both audited; then the fund\'s file is unknown again', async () => {
      const before = await auditSeq();
      const put = await api('PUT', `/bank-import-profiles/${profileId}`, { token: finance, body: { name: `村镇银行 ${fund} v2`, fund, headerRow: 2, columns: { date: 0, in: 1, out: 2, balance: 3, description: [4] }, dateFormat: 'DMY' } });
      expect(put.status, put.text).to.equal(200);
      expect(put.body).to.include({ headerRow: 2, name: `村镇银行 ${fund} v2` });
      const pv = await api('POST', '/bank-statements/preview', { token: finance, body: { fund, format: 'csv', content: unknown() } });
      expect(pv.body).to.include({ profileId, lineCount: 4 });
      const del = await api('DELETE', `/bank-import-profiles/${profileId}`, { token: finance });
      expect(del.status).to.equal(200);
      expect(await auditSeq()).to.equal(before + 2);
      expect((await api('GET', `/bank-import-profiles/${profileId}`, { token: auditor })).status).to.equal(404);
      const again = await api('POST', '/bank-statements/preview', { token: finance, body: { fund, format: 'csv', content: unknown() } });
      expect(again.body.profileId).to.equal(null);
      expect(again.body.problems[0].problem).to.match(/no header row found/);
    });
  });
});
