import { expect } from 'chai';
import { adminToken, api, userToken } from '../support/api';
import { donate, fundTree, validIdNumber } from '../support/fixtures';
import { PageClient as Browser } from '../support/browser';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { BUCKET_ZH, METHOD_ZH, PILOT_KIND_ZH, REFUSAL_REASON_ZH, STATUS_ZH } from '../../src/loans';
import { LOAN_BUCKET, LOAN_METHOD, LOAN_STATUS, PILOT_KIND, REFUSAL_REASON } from '../../src/web/i18n-loans';

let seq = 0;
const uniq = (p: string) => `${p}${Date.now().toString(36).slice(-5)}${++seq}`.toUpperCase();
const textOf = (h: string) => h.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');

/**
 * English a person would read on a Chinese page (the walk test's rule, on the HTML): visible text, options,
 * placeholders, aria-labels and titles; allowed are tokens with digits, paths, upper-case codes, and anything
 * inside lang="en", class="en" or translate="no".
 */
function englishWords(page: string): string[] {
  let h = page.replace(/<(script|style)[^>]*>[^]*?<\/\1>/g, ' ').replace(/<head>[^]*?<\/head>/, ' ');
  for (let i = 0; i < 3; i++) h = h.replace(/<(\w+)\b[^>]*(?:lang="en"|class="en"|translate="no")[^>]*>[^<]*(?:<(?!\/\1>)[^<]*)*<\/\1>/g, ' ');
  const attrs = [...h.matchAll(/\b(?:placeholder|aria-label|title|alt)="([^"]*)"/g)].map((m) => m[1]!);
  const text = `${h.replace(/<[^>]+>/g, ' ')} ${attrs.join(' ')}`.replace(/&[a-z#0-9]+;/g, ' ');
  const out = new Set<string>();
  for (const token of text.split(/\s+/)) {
    if (!token || /\d/.test(token) || /^\/|:\/\//.test(token)) continue;
    for (const w of token.split(/[^A-Za-z]+/)) if (w.length >= 2 && w !== w.toUpperCase() && !['Excel', 'xls', 'xlsx', 'csv'].includes(w)) out.add(w);
  }
  return [...out];
}

describe('web console: the start-up loan pages', function () {
  this.timeout(120_000);
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  let unit: string, product: string;
  let officer: { token: string; username: string }, officer2: { token: string; username: string }, approver: { token: string; username: string };
  let approver2: { token: string; username: string }, finance: { token: string; username: string }, auditor: { token: string; username: string };
  let loanId: number;

  const form = (idNumber: string, amount = '8000.00') => ({
    pilotUnit: unit, product, 'borrower.name': '慕容创新', 'borrower.idNumber': idNumber, 'borrower.phone': '13812345678',
    'membership.unionOrg': '某制造集团工会', 'membership.memberNo': 'M-9', requestedAmount: amount, termMonths: '12',
    businessPlan: '开办社区便利店', 'guarantors.0.name': '上官担保', 'guarantors.0.idNumber': validIdNumber(), 'guarantors.0.relation': '同事',
  });
  const loansOfUnit = async () => (await api('GET', `/loans?pilotUnit=${unit}&limit=500`, { token: auditor.token })).body.items.length as number;

  before(async () => {
    const admin = await adminToken();
    [officer, officer2, approver, approver2, finance, auditor] = await Promise.all([
      userToken(['officer'], 'CY'), userToken(['officer'], 'CY'), userToken(['approver'], 'CY'), userToken(['approver']), userToken(['finance']), userToken(['auditor']),
    ]);
    const { funds } = await fundTree(finance.token, ['CY']);
    await donate(finance.token, funds.CY!, '100000.00', addDays(today, -400));
    expect((await api('PUT', `/loans/programmes/${year}`, { token: admin, body: { fund: funds.CY } })).status).to.equal(200);
    unit = uniq('WP');
    const u = await api('PUT', `/loans/programmes/${year}/pilot-units/${unit}`, { token: admin, body: { nameZh: '朝阳区总工会网页试点', kind: 'district', district: 'CY', quota: '500000.00', fund: funds.CY } });
    expect(u.status, u.text).to.equal(200);
    product = uniq('WQ');
    const p = await api('POST', '/loans/products', {
      token: admin,
      body: { code: product, nameZh: '网页创业贷', minAmount: '1000.00', maxAmount: '50000.00', termMonths: 24, annualRate: '12', subsidyPercent: '50', method: 'equal_instalment', graceMonths: 0, penaltyRate: '18.25' },
    });
    expect(p.status, p.text).to.equal(201);
  });

  it('keeps the pages’ labels equal to the loans domain’s Chinese names', () => {
    const zh = (t: Record<string, [string, string]>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v[0]]));
    expect(zh(LOAN_STATUS)).to.deep.equal(STATUS_ZH);
    expect(zh(LOAN_METHOD)).to.deep.equal(METHOD_ZH);
    expect(zh(LOAN_BUCKET)).to.deep.equal(BUCKET_ZH);
    expect(zh(PILOT_KIND)).to.deep.equal(PILOT_KIND_ZH);
    expect(zh(REFUSAL_REASON)).to.deep.equal(REFUSAL_REASON_ZH);
  });

  it('shows a wrong application’s errors in Chinese and writes nothing; a right one creates the application', async () => {
    const b = await Browser.as(officer.username);
    const before = await loansOfUnit();
    const bad = { ...form('110105199001011234'), requestedAmount: '12,5' };
    const refused = await b.submit('/loans/new', '/loans/new', bad);
    expect(refused.status).to.equal(400);
    const t = textOf(refused.text);
    expect(t).to.include('请修改标出的字段');
    expect(t).to.include('输入有误');
    expect(t).to.match(/身份证号校验码错误|身份证号须为 18 位|金额格式如 5000\.00/);
    expect(refused.text).to.include('value="慕容创新"'); // what was typed stays
    expect(await loansOfUnit()).to.equal(before);
    // Above the product's range: the API's own Chinese sentence.
    const range = await b.submit('/loans/new', '/loans/new', form(validIdNumber(), '90000.00'));
    expect(range.status).to.equal(422);
    expect(textOf(range.text)).to.include('产品 网页创业贷 的贷款金额为 1000.00–50000.00 元');
    expect(await loansOfUnit()).to.equal(before);

    const ok = await b.submit('/loans/new', '/loans/new', form(validIdNumber()));
    const landed = await b.follow(ok);
    expect(landed.status).to.equal(200);
    loanId = Number(/\/loans\/(\d+)/.exec(landed.url)![1]);
    expect(textOf(landed.text)).to.include('已申请');
    expect(await loansOfUnit()).to.equal(before + 1);
    const got = await api('GET', `/loans/${loanId}`, { token: officer.token });
    expect(got.body).to.include({ status: 'submitted', requestedAmount: '8000.00', termMonths: 12 });
    expect(got.body.guarantors).to.have.length(1);
  });

  it('offers each role its actions only, and takes an application through review, approval, disbursement and a repayment', async () => {
    const mine = await Browser.as(officer.username);
    let p = (await mine.get(`/loans/${loanId}`)).text;
    expect(p).not.to.include(`action="/loans/${loanId}/review"`);
    expect(textOf(p)).to.include('您受理了本申请，不能审查');
    expect(p).to.include(`action="/loans/${loanId}/withdraw"`);
    expect(p).not.to.include(`action="/loans/${loanId}/approve"`);

    const other = await Browser.as(officer2.username);
    p = (await other.get(`/loans/${loanId}`)).text;
    expect(p).to.include(`action="/loans/${loanId}/review"`);
    expect((await other.follow(await other.post(`/loans/${loanId}/review`, { note: '材料齐全' }))).status).to.equal(200);

    const fin = await Browser.as(finance.username);
    expect((await fin.get(`/loans/${loanId}`)).text).not.to.match(/action="\/loans\/\d+\/(review|approve|refuse|withdraw|disburse)"/);

    const appr = await Browser.as(approver.username);
    p = (await appr.get(`/loans/${loanId}`)).text;
    expect(p).to.include(`action="/loans/${loanId}/approve"`);
    expect(p).to.include(`action="/loans/${loanId}/refuse"`);
    expect(p).not.to.include(`action="/loans/${loanId}/disburse"`);
    expect(textOf((await appr.get('/loans/approvals')).text)).to.include('待审批的申请');
    // Above the product's range: refused by the API, shown in Chinese, nothing changes.
    const tooMuch = await appr.post(`/loans/${loanId}/approve`, { approvedAmount: '9000.00' });
    expect(tooMuch.status).to.equal(422);
    expect(textOf(tooMuch.text)).to.include('超过申请金额');
    expect((await api('GET', `/loans/${loanId}`, { token: auditor.token })).body.status).to.equal('reviewed');
    await appr.get(`/loans/${loanId}`);
    const approved = await appr.follow(await appr.post(`/loans/${loanId}/approve`, { approvedAmount: '8000.00' }));
    expect(textOf(approved.text)).to.include('已批准');

    p = (await fin.get(`/loans/${loanId}`)).text;
    expect(p).to.include(`action="/loans/${loanId}/disburse"`);
    expect(textOf((await fin.get('/loans/finance')).text)).to.include('已批准，待放款');
    const start = today; // approved today in the console: a disbursement is never dated before its approval
    const disbursed = await fin.follow(await fin.submit(`/loans/${loanId}`, `/loans/${loanId}/disburse`, { date: start, paymentRef: 'PAY-WEB-1' }));
    expect(textOf(disbursed.text)).to.include('还款中');
    expect(disbursed.text).to.include(`action="/loans/${loanId}/repay"`);
    expect(textOf(disbursed.text)).to.include('当日提前结清金额');
    const sched = (await api('GET', `/loans/${loanId}/schedule`, { token: finance.token })).body;
    expect(textOf(disbursed.text)).to.include(sched.instalments[0].principal);
    // A repayment above the payoff is refused in Chinese; a right one is recorded.
    const over = await fin.submit(`/loans/${loanId}`, `/loans/${loanId}/repay`, { amount: '99999.00', date: today });
    expect(over.status).to.equal(422);
    expect(textOf(over.text)).to.include('最多应还');
    const repaid = await fin.follow(await fin.submit(`/loans/${loanId}`, `/loans/${loanId}/repay`, { amount: '500.00', date: today, reference: 'BANK-WEB' }));
    expect(textOf(repaid.text)).to.include('BANK-WEB');
    expect((await api('GET', `/loans/${loanId}`, { token: finance.token })).body.repayments).to.have.length(1);

    // Active: approvers see write-off and restructuring; officers and auditors act on nothing of it.
    p = (await (await Browser.as(approver2.username)).get(`/loans/${loanId}`)).text;
    expect(p).to.include(`action="/loans/${loanId}/write-off"`);
    expect(p).to.include(`action="/loans/${loanId}/restructure"`);
    const aud = await Browser.as(auditor.username);
    p = (await aud.get(`/loans/${loanId}`)).text;
    expect(p).not.to.match(/<form method="post" action="\/loans\//);
    expect(p).to.include(`href="/loans/${loanId}/statement.pdf"`);
    expect(textOf(p)).to.include('慕**新'); // masked for an auditor
    expect(p).not.to.include('慕容创新');

    const csv = await fin.get(`/loans/${loanId}/schedule.csv`);
    expect(csv.type).to.include('text/csv');
    expect(csv.text).to.include(sched.instalments[0].principal);
    const pdf = await aud.req('GET', `/loans/${loanId}/statement.pdf`);
    expect(pdf.type).to.include('application/pdf');
    expect(pdf.text.startsWith('%PDF-')).to.equal(true);
  });

  it('renders every loan page for each role in Chinese, without English-only text, and refuses pages outside a role', async () => {
    const pages: [{ username: string }, string[]][] = [
      [officer, ['/loans', '/loans/new', '/loans/arrears', '/loans/programme', `/loans/${loanId}`]],
      [approver, ['/loans', '/loans/approvals', '/loans/arrears', '/loans/programme', `/loans/${loanId}`]],
      [finance, ['/loans', '/loans/finance', '/loans/arrears', '/loans/programme', `/loans/${loanId}`]],
      [auditor, ['/loans', '/loans/arrears', '/loans/programme', `/loans/${loanId}`]],
    ];
    // The check itself finds English that is not marked, and lets marked English and codes pass.
    expect(englishWords('<main><p>Start-up loans <span class="en" lang="en">Loans</span> CSV L2026-000001</p><input placeholder="Amount"></main>')).to.deep.equal(['Start', 'up', 'loans', 'Amount']);
    for (const [user, paths] of pages) {
      const b = await Browser.as(user.username);
      const dash = (await b.get('/dashboard')).text;
      expect(dash).to.include('href="/loans"');
      for (const path of paths) {
        const r = await b.get(path);
        expect(r.status, `${user.username} ${path}`).to.equal(200);
        expect(englishWords(r.text), `${user.username} ${path}`).to.deep.equal([]);
      }
    }
    const prog = textOf((await (await Browser.as(auditor.username)).get('/loans/programme')).text);
    const p = (await api('GET', `/loans/programme/${year}/progress`, { token: auditor.token })).body;
    expect(prog).to.include(`¥${p.lent}`).and.include(`¥${p.target}`).and.include('网页试点');
    const fin = await Browser.as(finance.username);
    expect((await fin.get('/loans/approvals')).status).to.equal(403);
    expect((await fin.get('/loans/new')).status).to.equal(403);
    expect((await (await Browser.as(officer.username)).get('/loans/finance')).status).to.equal(403);
    const list = await (await Browser.as(officer.username)).get('/loans?format=csv');
    expect(list.type).to.include('text/csv');
    expect(list.text).to.include('还款中').and.include('慕**新').and.include('朝阳');
    expect(list.text).not.to.include('慕容创新');
  });
});
