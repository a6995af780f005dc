import { expect } from 'chai';
import { api, userToken } from '../support/api';
import { fundTree } from '../support/fixtures';
import { shanghaiDate } from '../../src/platform/clock';
import { PageClient as Browser } from '../support/browser';


async function loginAs(roles: string[]) {
  const u = await userToken(roles);
  const b = new Browser();
  const page = await b.req('GET', '/login');
  const r = await b.req('POST', '/login', { _csrf: b.csrfOf(page.text), username: u.username, password: 'Test-pass-12345', next: '/dashboard' });
  if (r.status !== 303) throw new Error(`login failed: ${r.status}`);
  return { b, token: u.token };
}

/** The role="status" banner's text, tags stripped. */
const banner = (text: string) => (/<p class="flash" role="status">([\s\S]*?)<\/p>/.exec(text)?.[1] ?? '').replace(/<[^>]+>/g, '');
const plain = (s: string) => s.replace(/<[^>]+>/g, '').replace(/,/g, '');
/** The cell texts of a table (by id), row by row, separators removed. */
function tableRows(text: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(text)?.[1];
  if (!t) throw new Error(`no table ${id}`);
  return [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => plain(c[1]!).trim()));
}

describe('finance pages over plain HTTP', function () {
  this.timeout(60_000);
  const today = shanghaiDate();
  let fin: Browser, finToken: string, root: string, fund: string, other: string;

  before(async () => {
    ({ b: fin, token: finToken } = await loginAs(['finance']));
    const tree = await fundTree(finToken, ['CY', 'HD']);
    root = tree.root;
    fund = tree.funds.CY!;
    other = tree.funds.HD!;
  });

  it('labels the donor type and the fund name rightly, and the donation form has restriction, purpose and reference', async () => {
    const d = await fin.req('GET', '/donations/new');
    expect(d.text).to.match(/<label for="f-donorKind">捐赠人类型<\/label>/);
    expect(d.text).not.to.include('困难类别');
    expect(d.text).to.match(/<label for="f-restricted">限定性<\/label>/);
    expect(d.text).to.match(/<label for="f-purpose">用途<\/label>/);
    expect(d.text).to.match(/<label for="f-reference">参考号/);
    const f = await fin.req('GET', '/funds');
    expect(f.text).to.include('>基金名称<');
    expect(f.text).not.to.match(/<th[^>]*>姓名<\/th>/);
  });

  it('after a donation shows the entry it made (number, amount, fund) and keeps restriction, purpose and reference', async () => {
    const r = await fin.submit('/donations/new', '/donations/new', {
      fund, amount: '8000.00', date: today, donorName: '爱心企业', donorKind: 'organization', restricted: 'true', purpose: '助学', reference: 'HD-2026-01',
    });
    const p = await fin.follow(r);
    expect(p.url).to.match(/^\/journal\/\d+\?done=donation$/);
    const id = Number(/journal\/(\d+)/.exec(p.url)![1]);
    const e = (await api('GET', `/journal-entries/${id}`, { token: finToken })).body;
    expect(e.source).to.equal('donation');
    expect(e.sourceRef).to.equal('HD-2026-01');
    expect(e.description).to.include('助学');
    expect(e.lines.find((l: any) => l.account === '4101').memo).to.include('限定性');
    const shown = banner(p.text);
    expect(shown).to.include('捐赠已登记');
    expect(shown).to.include(e.number);
    expect(shown).to.include('8,000.00');
    expect(shown).to.include(fund);
    expect(p.text).to.match(/id="entry-source">捐赠/);
    expect(p.text).to.include(`href="/fund-tree/${fund}"`);
  });

  it('after an allocation and a manual entry shows the entry number and the funds', async () => {
    const a = await fin.follow(await fin.submit('/allocations/new', '/allocations/new', { fromFund: fund, toFund: other, amount: '1500.00', date: today, purpose: '季度拨付' }));
    expect(a.url).to.match(/\?done=allocation$/);
    const aEntry = (await api('GET', `/journal-entries/${/journal\/(\d+)/.exec(a.url)![1]}`, { token: finToken })).body;
    expect(banner(a.text)).to.include(aEntry.number).and.include('1,500.00').and.include(`${fund} → ${other}`);

    const m = await fin.follow(await fin.submit('/journal/new', '/journal/new', {
      date: today, description: '现金存入银行 page test', l0_account: '1002', l0_fund: fund, l0_debit: '100.00', l1_account: '5201', l1_fund: fund, l1_credit: '100.00',
    }));
    expect(m.url).to.match(/\?done=posted$/);
    const mEntry = (await api('GET', `/journal-entries/${/journal\/(\d+)/.exec(m.url)![1]}`, { token: finToken })).body;
    expect(banner(m.text)).to.include('已过账').and.include(mEntry.number).and.include('100.00');
    expect(m.text).to.match(/id="entry-source">手工/);
  });

  it('lists the journal with Chinese sources, filters by fund and source, and searches number or description', async () => {
    const l = await fin.req('GET', `/journal?fund=${fund}`);
    expect(l.status).to.equal(200);
    expect(l.text).to.include('<option value="donation">捐赠</option>');
    expect(l.text).not.to.match(/<td[^>]*>(donation|allocation|manual)<\/td>/);
    expect(l.text).to.match(/<td[^>]*>捐赠<\/td>/);
    const s = await fin.req('GET', `/journal?fund=${fund}&q=${encodeURIComponent('page test')}`);
    expect(s.text).to.include('现金存入银行 page test');
    expect(s.text).not.to.include('季度拨付');
    const bySource = await fin.req('GET', `/journal?fund=${fund}&source=allocation`);
    expect(bySource.text).to.include('季度拨付');
    expect(bySource.text).not.to.include('page test');
    // The API's search: number or description, % and _ taken literally.
    const q = await api('GET', `/journal-entries?q=${encodeURIComponent('page test')}&fund=${fund}`, { token: finToken });
    expect(q.status).to.equal(200);
    expect(q.body.items.map((e: any) => e.description)).to.deep.equal(['现金存入银行 page test']);
    expect((await api('GET', `/journal-entries?q=%25&fund=${fund}`, { token: finToken })).body.items).to.deep.equal([]);
  });

  it('reverses an entry on its page only when confirmed, then shows both sides of the reversal', async () => {
    const posted = await api('POST', '/journal-entries', {
      token: finToken,
      body: { date: today, description: '待冲销 page test', lines: [{ account: '5201', fund, debit: '12.34' }, { account: '1002', fund, credit: '12.34' }] },
    });
    expect(posted.status, posted.text).to.equal(201);
    const id = posted.body.id;
    const detail = await fin.req('GET', `/journal/${id}`);
    expect(detail.text).to.include('冲销本凭证');
    // Not confirmed: refused on the page, nothing posted.
    const refused = await fin.submit(`/journal/${id}`, `/journal/${id}/reverse`, { date: today, reason: '录入错误' });
    expect(refused.status).to.equal(400);
    expect(refused.text).to.match(/id="f-confirm-err"/);
    expect((await api('GET', `/journal-entries/${id}`, { token: finToken })).body.reversedById).to.equal(null);
    // Confirmed.
    const done = await fin.follow(await fin.submit(`/journal/${id}`, `/journal/${id}/reverse`, { date: today, reason: '录入错误', confirm: 'true' }));
    const original = (await api('GET', `/journal-entries/${id}`, { token: finToken })).body;
    expect(original.reversedById).to.be.a('number');
    expect(done.url).to.equal(`/journal/${original.reversedById}?done=reversed`);
    const reversal = (await api('GET', `/journal-entries/${original.reversedById}`, { token: finToken })).body;
    expect(banner(done.text)).to.include(original.number).and.include(reversal.number);
    expect(done.text).to.match(/id="entry-source">冲销/);
    const after = await fin.req('GET', `/journal/${id}`);
    expect(after.text).to.match(/id="entry-status">已冲销/);
    expect(after.text).not.to.include('冲销本凭证');
    // An auditor reads the entry but is offered no reversal.
    const { b: aud } = await loginAs(['auditor']);
    const a = await aud.req('GET', `/journal/${original.reversedById}`);
    expect(a.status).to.equal(200);
    expect(a.text).not.to.include('action="/journal/');
  });

  it('offers 结账 only for the first open month that has ended, and only after a confirmation', async () => {
    const current = today.slice(0, 7);
    const p = await fin.req('GET', '/periods');
    expect(p.status).to.equal(200);
    expect(p.text).not.to.include(`href="/periods/${current}/close"`);
    const offered = [...p.text.matchAll(/href="\/periods\/(\d{4}-\d{2})\/close"/g)].map((m) => m[1]!);
    expect(offered.length).to.be.at.most(1);
    for (const m of offered) expect(m < current).to.equal(true);
    // The confirmation step of the current month says it cannot be closed and has no form.
    const c = await fin.req('GET', `/periods/${current}/close`);
    expect(c.text).to.include('现在不能结这个月');
    expect(c.text).not.to.include(`action="/periods/${current}/close"`);
    // Without the box ticked nothing is sent; with it the API still refuses a month that has not ended.
    const unconfirmed = await fin.req('POST', `/periods/${current}/close`, { _csrf: fin.csrfOf(c.text) });
    expect(unconfirmed.status).to.equal(400);
    const refused = await fin.req('POST', `/periods/${current}/close`, { _csrf: fin.csrfOf(c.text), confirm: 'true' });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.include('当前状态不允许此操作');
    const periods = (await api('GET', '/periods', { token: finToken })).body.items;
    expect(periods.find((x: any) => x.period === current).status).to.equal('open');
  });

  it('imports, auto-matches and closes a reconciliation with feedback; the closed one shows its state and the explained difference, no actions', async () => {
    const { funds } = await fundTree(finToken, ['CY']);
    const f = funds.CY!;
    await api('POST', '/donations', { token: finToken, body: { fund: f, amount: '5000.00', date: today, donor: { name: '爱心企业', kind: 'organization', anonymous: false } } });
    // 2000.00 leaves the fund in the ledger but not yet at the bank: in transit.
    const alloc = await api('POST', '/allocations', { token: finToken, body: { fromFund: f, toFund: other, amount: '2000.00', date: today, purpose: '在途测试' } });
    expect(alloc.status, alloc.text).to.equal(201);
    const csv = `日期,摘要,流水号,对方户名,金额\n${today},捐赠,D1,爱心企业,5000.00`;
    const imported = await fin.follow(await fin.submit('/reconciliation', '/reconciliation/upload', {
      statementFund: f, format: 'csv', periodFrom: today, periodTo: today, openingBalance: '0.00', closingBalance: '5000.00', content: csv,
    }));
    expect(imported.url).to.match(/^\/reconciliation\/\d+\?done=imported$/);
    const id = Number(/reconciliation\/(\d+)/.exec(imported.url)![1]);
    expect(banner(imported.text)).to.include(`#${id}`).and.include('1 笔明细');
    const auto = await fin.follow(await fin.submit(`/reconciliation/${id}`, `/reconciliation/${id}/auto-match`, {}));
    expect(banner(auto.text)).to.include('自动匹配：1 笔已匹配');
    expect(auto.text).to.include('完成对账');
    // Closing needs the box ticked.
    const unconfirmed = await fin.submit(`/reconciliation/${id}`, `/reconciliation/${id}/close`, {});
    expect(unconfirmed.status).to.equal(400);
    expect((await api('GET', `/bank-statements/${id}`, { token: finToken })).body.status).to.equal('open');
    const closed = await fin.follow(await fin.submit(`/reconciliation/${id}`, `/reconciliation/${id}/close`, { confirm: 'true' }));
    expect(banner(closed.text)).to.include('对账已完成');
    const report = (await api('GET', `/bank-statements/${id}/reconciliation`, { token: finToken })).body;
    expect(report.status).to.equal('closed');
    const s = (await api('GET', `/bank-statements/${id}`, { token: finToken })).body;
    // State with who and when; no action at all.
    const again = await fin.req('GET', `/reconciliation/${id}`);
    expect(plain(/<p id="recon-state"[^>]*>([\s\S]*?)<\/p>/.exec(again.text)![1]!)).to.include('已完成').and.include(s.closedBy);
    for (const word of ['自动匹配', '完成对账</button>', '取消匹配', 'action="/reconciliation/']) expect(again.text).not.to.include(word);
    // The explained difference, as the API's report gives it.
    const dd = (id2: string) => plain(new RegExp(`id="${id2}"[^>]*>([\\s\\S]*?)</dd>`).exec(again.text)![1]!).trim();
    expect(dd('recon-difference')).to.equal(report.difference).and.equal('2000.00');
    expect(dd('recon-in-transit').startsWith(report.explained.ledgerItemsNotInBank)).to.equal(true);
    expect(report.explained.ledgerItemsNotInBank).to.equal('-2000.00');
    expect(dd('recon-unexplained')).to.equal(report.unexplainedDifference).and.equal('0.00');
    expect(again.text).to.include('在途：账簿已记、银行未记');
    // The list filters by status and fund.
    const list = await fin.req('GET', `/reconciliation?fund=${f}&status=closed`);
    expect(list.text).to.include(`href="/reconciliation/${id}"`);
    expect(list.text).to.include('已完成');
    expect((await fin.req('GET', `/reconciliation?fund=${f}&status=open`)).text).not.to.include(`href="/reconciliation/${id}"`);
    expect((await fin.req('GET', `/reconciliation?q=${f}`)).text).to.include(`href="/reconciliation/${id}"`);
  });

  it('an open reconciliation with an unexplained difference says why it cannot be closed and offers no close', async () => {
    const { funds } = await fundTree(finToken, ['CY']);
    const f = funds.CY!;
    const csv = `日期,摘要,流水号,对方户名,金额\n${today},利息,I1,银行,3.21`;
    const p = await fin.follow(await fin.submit('/reconciliation', '/reconciliation/upload', { statementFund: f, format: 'csv', periodFrom: today, periodTo: today, openingBalance: '0.00', closingBalance: '3.21', content: csv }));
    expect(p.text).to.include('暂不能完成对账');
    expect(p.text).not.to.include(`action="${p.url.replace(/\?.*/, '')}/close"`);
    expect(p.text).to.include('自动匹配');
  });

  it('statements pages show the API’s figures, per fund with its subtree and consolidated, and export them', async () => {
    const q = `asOf=${today}&fund=${root}&subtree=true`;
    const tb = await fin.req('GET', `/books/trial-balance?${q}`);
    expect(tb.status).to.equal(200);
    const apiTb = (await api('GET', `/reports/trial-balance?${q}`, { token: finToken })).body;
    const rows = tableRows(tb.text, 'trial-balance');
    expect(rows.length).to.equal(apiTb.rows.length + 1);
    apiTb.rows.forEach((r: any, i: number) => expect(rows[i]).to.deep.equal([r.account, r.accountNameZh, r.fund, r.debit, r.credit]));
    expect(rows.at(-1)!.slice(-2)).to.deep.equal([apiTb.totals.debit, apiTb.totals.credit]);
    expect(tb.text).to.include('借贷平衡');
    expect(tb.text).to.match(/<td class="num">[\d,]+\.\d\d<\/td>/);
    const csv = await fin.req('GET', `/books/trial-balance?${q}&format=csv`);
    expect(csv.type).to.match(/text\/csv/);
    expect(csv.text).to.include(`"${apiTb.totals.debit}"`);
    const xlsx = await fin.req('GET', `/books/trial-balance?${q}&format=xlsx`);
    expect(xlsx.type).to.match(/spreadsheetml/);

    const fp = await fin.req('GET', `/books/financial-position?${q}`);
    const apiFp = (await api('GET', `/reports/financial-position?${q}`, { token: finToken })).body;
    expect(tableRows(fp.text, 'fp-assets').at(-1)!.at(-1)).to.equal(apiFp.totals.assets);
    expect(tableRows(fp.text, 'fp-net-assets').at(-1)!.at(-1)).to.equal(apiFp.totals.liabilitiesAndNetAssets);

    const from = `${today.slice(0, 4)}-01-01`;
    const act = await fin.req('GET', `/books/activities?from=${from}&to=${today}`);
    const apiAct = (await api('GET', `/reports/activities?from=${from}&to=${today}`, { token: finToken })).body;
    expect(tableRows(act.text, 'act-income').at(-1)!.at(-1)).to.equal(apiAct.totals.income);
    expect(tableRows(act.text, 'act-expenses').at(-1)!.at(-1)).to.equal(apiAct.totals.expenses);
    expect(act.text).to.include('全部基金合并');
    // One fund alone: transfers are not eliminated, the page says so.
    const one = await fin.req('GET', `/books/activities?from=${from}&to=${today}&fund=${fund}`);
    const apiOne = (await api('GET', `/reports/activities?from=${from}&to=${today}&fund=${fund}`, { token: finToken })).body;
    expect(tableRows(one.text, 'act-income').at(-1)!.at(-1)).to.equal(apiOne.totals.income);
    expect(one.text).to.include(`基金 ${fund}（单独）`);
    // A bad date is the API's field message at the field, not a 500.
    const bad = await fin.req('GET', '/books/trial-balance?asOf=2026-02-30');
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/id="f-asOf-err"/);
  });

  it('manages the fund tree: creates a fund and sets its bank account, with feedback; a bad code is shown at the field', async () => {
    const code = `${root}-ZX`;
    const r = await fin.follow(await fin.submit('/fund-tree', '/fund-tree', {
      code, kind: 'enterprise_group', nameZh: '某集团专项基金', nameEn: 'Group fund', parentCode: fund, district: '', bankAccount: '', restricted: 'true',
    }));
    expect(r.url).to.equal(`/fund-tree/${code}?done=created`);
    expect(banner(r.text)).to.include('基金已创建').and.include(code);
    const f = (await api('GET', `/funds/${code}`, { token: finToken })).body;
    expect(f).to.include({ kind: 'enterprise_group', parentCode: fund, district: 'CY', restricted: true });
    expect(r.text).to.include('企业集团基金');
    const b = await fin.follow(await fin.submit(`/fund-tree/${code}`, `/fund-tree/${code}/bank-account`, { bankAccount: '1100 2233 4455' }));
    expect(banner(b.text)).to.include('1100 2233 4455');
    expect((await api('GET', `/funds/${code}`, { token: finToken })).body.bankAccount).to.equal('1100 2233 4455');
    const tree = await fin.req('GET', '/fund-tree');
    expect(tree.text).to.include(code).and.include('1100 2233 4455');
    const bad = await fin.submit('/fund-tree', '/fund-tree', { code: 'bad code!', kind: 'foundation', nameZh: 'x', nameEn: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/id="f-code-err"/);
    // Approvers see balances, not the management.
    const { b: appr } = await loginAs(['approver']);
    expect((await appr.req('GET', '/fund-tree')).status).to.equal(403);
    expect((await appr.req('GET', '/funds')).status).to.equal(200);
  });
});
