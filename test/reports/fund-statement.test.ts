import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import { api, userToken } from '../support/api';
import { donate, uniqueRoot } from '../support/fixtures';
import { testService } from '../support/env';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { fundStatement, trialBalance } from '../../src/ledger';
import { formatAmount } from '../../reports/kit';
import { getBytes, pdfText, squash } from './support';

/** Net (debit − credit) per account of one fund from a trial balance. */
function netByAccount(tb: { rows: { account: string; debit: string; credit: string }[] }) {
  const m = new Map<string, Decimal>();
  for (const r of tb.rows) m.set(r.account, (m.get(r.account) ?? new Decimal(0)).plus(r.debit).minus(r.credit));
  return m;
}

describe('fund statement: income and expenses gross by account, tied to the trial balance', function () {
  this.timeout(120_000);
  let finance: string;
  let root: string, cy: string, hd: string, group: string;
  const today = shanghaiDate();
  const from = addDays(today, -20);
  const earlier = addDays(today, -40);

  const post = async (path: string, body: Record<string, unknown>) => {
    const r = await api('POST', path, { token: finance, body });
    expect(r.status, r.text).to.equal(201);
    return r.body;
  };
  const entry = (date: string, fund: string, debit: string, credit: string, amount: string, description: string) =>
    post('/journal-entries', { date, description, lines: [{ account: debit, fund, debit: amount }, { account: credit, fund, credit: amount }] });

  before(async () => {
    finance = (await userToken(['finance'])).token;
    root = uniqueRoot();
    cy = `${root}-CY`;
    hd = `${root}-HD`;
    group = `${root}-CY-G`;
    await post('/funds', { code: root, nameZh: '测试基金会', nameEn: 'Test foundation', kind: 'foundation', restricted: false });
    await post('/funds', { code: cy, nameZh: '朝阳专项', nameEn: 'Chaoyang fund', kind: 'district', parentCode: root, district: 'CY', restricted: false });
    await post('/funds', { code: hd, nameZh: '海淀专项', nameEn: 'Haidian fund', kind: 'district', parentCode: root, district: 'HD', restricted: false });
    await post('/funds', { code: group, nameZh: '某集团专项', nameEn: 'Group fund', kind: 'enterprise_group', parentCode: cy, restricted: false });
    // Before the period: only the opening balances.
    await donate(finance, root, '100000.00', earlier);
    await entry(earlier, cy, '1002', '4401', '5000.00', '政府补助（期前）');
    // In the period: a government grant and administrative expenses in one fund (the case that was netted).
    await entry(from, root, '1002', '4401', '900000.00', '政府补助');
    await entry(addDays(from, 1), root, '5201', '1002', '43635.17', '管理费用');
    await entry(addDays(from, 2), root, '1002', '4601', '1200.35', '投资收益');
    await entry(addDays(from, 3), root, '5301', '1002', '800.00', '筹资费用');
    await post('/allocations', { fromFund: root, toFund: cy, amount: '30000.00', date: addDays(from, 4), purpose: '下拨朝阳' });
    await post('/allocations', { fromFund: cy, toFund: group, amount: '7000.00', date: addDays(from, 5), purpose: '下拨集团' });
    await post('/allocations', { fromFund: root, toFund: hd, amount: '2500.00', date: addDays(from, 5), purpose: '下拨海淀' });
    await donate(finance, group, '333.33', addDays(from, 6));
    await entry(addDays(from, 7), group, '5401', '1002', '12.50', '其他费用');
    // A commitment not yet paid: an expense whose cash has not moved (other balance changes).
    await entry(addDays(from, 8), hd, '5101', '2209', '400.00', '救助承诺');
  });

  it('shows each income and expense account on its own line, gross, never netted', async () => {
    const st = await fundStatement(testService().ctx.db, root, from, today);
    const own = st.funds.find((f) => f.fund === root)!;
    const amount = (lines: { account: string; amount: string }[], a: string) => lines.find((l) => l.account === a)?.amount;
    expect(amount(own.income, '4401')).to.equal('900000.00');
    expect(amount(own.income, '4601')).to.equal('1200.35');
    expect(amount(own.expenses, '5201')).to.equal('43635.17');
    expect(amount(own.expenses, '5301')).to.equal('800.00');
    expect(amount(own.expenses, '5402')).to.equal('32500.00');
    expect(own.totalIncome).to.equal('901200.35');
    expect(own.totalExpenses).to.equal('76935.17');
    // Consolidated: transfers inside the subtree are eliminated, everything else is kept gross.
    expect(st.eliminatedTransfers).to.equal('39500.00');
    expect(amount(st.total.income, '4902')).to.equal(undefined);
    expect(amount(st.total.expenses, '5402')).to.equal(undefined);
    expect(amount(st.total.income, '4401')).to.equal('900000.00');
    expect(amount(st.total.income, '4101')).to.equal('333.33');
    expect(amount(st.total.expenses, '5101')).to.equal('400.00');
    expect(st.total.opening).to.equal('105000.00');
    expect(new Decimal(st.total.opening).plus(st.total.receipts).minus(st.total.payments).toFixed(2)).to.equal(st.total.closing);
    const hdRow = st.funds.find((f) => f.fund === hd)!;
    expect(hdRow.surplus).to.equal('2100.00');
    expect(hdRow.otherBalanceChanges).to.equal('400.00'); // cash rose by 2,500.00; the surplus is 2,100.00
  });

  it('ties to the trial balance of the same period for every fund of the subtree', async () => {
    const db = testService().ctx.db;
    const st = await fundStatement(db, root, from, today);
    expect(st.funds.map((f) => f.fund).sort()).to.deep.equal([root, cy, group, hd].sort());
    for (const f of st.funds) {
      const end = netByAccount(await trialBalance(db, { asOf: today, fund: f.fund }));
      const start = netByAccount(await trialBalance(db, { asOf: addDays(from, -1), fund: f.fund }));
      const change = (a: string) => (end.get(a) ?? new Decimal(0)).minus(start.get(a) ?? new Decimal(0));
      const cashBank = (m: Map<string, Decimal>) => (m.get('1001') ?? new Decimal(0)).plus(m.get('1002') ?? new Decimal(0));
      expect(f.opening, `${f.fund} opening`).to.equal(cashBank(start).toFixed(2));
      expect(f.closing, `${f.fund} closing`).to.equal(cashBank(end).toFixed(2));
      const accounts = new Set([...end.keys(), ...start.keys()]);
      const income = [...accounts].filter((a) => a.startsWith('4') && !change(a).isZero()).sort();
      const expenses = [...accounts].filter((a) => a.startsWith('5') && !change(a).isZero()).sort();
      expect(f.income.map((l) => l.account), `${f.fund} income accounts`).to.deep.equal(income);
      expect(f.expenses.map((l) => l.account), `${f.fund} expense accounts`).to.deep.equal(expenses);
      for (const l of f.income) expect(l.amount, `${f.fund} ${l.account}`).to.equal(change(l.account).negated().toFixed(2));
      for (const l of f.expenses) expect(l.amount, `${f.fund} ${l.account}`).to.equal(change(l.account).toFixed(2));
    }
  });

  it('the PDF prints the gross figures by account, the subtree total and every fund', async () => {
    const r = await getBytes(`/reports/fund-statement.pdf?fund=${root}&from=${from}&to=${today}`, finance);
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    const flat = squash((await pdfText(r.buf)).text);
    for (const s of ['政府补助收入', '管理费用', '投资收益', '筹资费用', '其他费用', '子树合计', '本期结余']) expect(flat).to.include(s);
    for (const a of ['900,000.00', '43,635.17', '1,200.35', '800.00', '39,500.00']) expect(flat).to.include(a);
    expect(flat).not.to.include(formatAmount('856364.83')); // the netted figure of the old statement
    for (const f of [root, cy, hd, group]) expect(flat).to.include(f);
  });
});
