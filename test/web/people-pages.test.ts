import { expect } from 'chai';
import crypto from 'node:crypto';
import { testService, ADMIN } from '../support/env';
import { api, adminToken, errorCode, userToken } from '../support/api';
import { fundTree, fundWithMoney, household, validIdNumber } from '../support/fixtures';
import { shanghaiDate } from '../../src/platform/clock';
import { isPublicPeriod } from '../../src/reports';
import { systemText } from '../../src/web/i18n-people';
import { PageClient as Browser } from '../support/browser';

const PASSWORD = 'Test-pass-12345';


/** The text a person reads (tags dropped, entities decoded enough for the checks). */
const textOf = (htmlText: string) => htmlText.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');

async function draftCase(officerToken: string, householdId: number, fund: string, amount = '3000.00', reason = 'illness') {
  const r = await api('POST', '/aid-cases', { token: officerToken, body: { householdId, fund, reason, description: '住院', requestedAmount: amount } });
  if (r.status !== 201) throw new Error(`case: ${r.status} ${r.text}`);
  return r.body.id as number;
}

describe('web console: the people pages', function () {
  this.timeout(60_000);

  it('shows the case timeline and the file history in Chinese, system notes included', async () => {
    const officer = await userToken(['officer'], 'CY');
    const { fund } = await fundWithMoney('10000.00', 'CY');
    const hid = await household(officer.token, 'CY', '孙丽华');
    const id = await draftCase(officer.token, hid, fund);
    expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer.token, body: {} })).status).to.equal(200);
    const b = await Browser.as(officer.username);
    const page = textOf((await b.get(`/cases/${id}`)).text);
    const timeline = page.slice(page.indexOf('流程记录'));
    expect(timeline).to.include('创建');
    expect(timeline).to.include('提交');
    expect(timeline).not.to.match(/\b(created|submitted)\b/);
    const file = textOf((await b.get(`/households/${hid}`)).text);
    const history = file.slice(file.indexOf('变更记录'));
    expect(history).to.include('建档');
    expect(history).not.to.match(/\bcreated\b/);
    expect(file).to.include('配偶'); // the member's relation code "spouse" shown as a label
    // Notes the service writes itself read in Chinese; a person's own note stays as typed.
    expect(systemText('zh', 'notice ended without objection')).to.equal('公示期满，无异议');
    expect(systemText('zh', 'payment BANK-1')).to.equal('支付流水号 BANK-1');
    expect(systemText('zh', 'aid case 2026-CY-0001 paid')).to.equal('救助案件 2026-CY-0001 已支付');
    expect(systemText('zh', '经核实')).to.equal('经核实');
  });

  it('offers no review form to the creator and no approval to the reviewer or above a district approver’s tier, saying why', async () => {
    const [creator, other, reviewer, districtApprover] = await Promise.all([
      userToken(['officer'], 'CY'), userToken(['officer'], 'CY'), userToken(['approver']), userToken(['approver'], 'CY'),
    ]);
    const { fund } = await fundWithMoney('20000.00', 'CY');
    const hid = await household(creator.token, 'CY', '钱志强');
    const id = await draftCase(creator.token, hid, fund, '8000.00');
    await api('POST', `/aid-cases/${id}/submit`, { token: creator.token, body: {} });

    const mine = (await (await Browser.as(creator.username)).get(`/cases/${id}`)).text;
    expect(mine).not.to.include(`action="/cases/${id}/review"`);
    expect(textOf(mine)).to.include('您是本案经办人，不能复核');
    const theirs = (await (await Browser.as(other.username)).get(`/cases/${id}`)).text;
    expect(theirs).to.include(`action="/cases/${id}/review"`);

    expect((await api('POST', `/aid-cases/${id}/review`, { token: reviewer.token, body: { recommendedAmount: '8000.00' } })).status).to.equal(200);
    const rev = (await (await Browser.as(reviewer.username)).get(`/cases/${id}`)).text;
    expect(rev).not.to.include(`action="/cases/${id}/approve"`);
    expect(textOf(rev)).to.include('您复核了本案，不能审批');

    const dist = (await (await Browser.as(districtApprover.username)).get(`/cases/${id}`)).text;
    expect(dist).not.to.include(`action="/cases/${id}/approve"`);
    expect(textOf(dist)).to.include('金额超过区级审批上限');
    expect(textOf(dist)).to.include('¥5000.00');

    // The API's refusal carries the same facts in Chinese (messageZh), its English message unchanged.
    const refused = await api('POST', `/aid-cases/${id}/approve`, { token: districtApprover.token, body: { approvedAmount: '8000.00' } });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.message).to.equal('an amount of 8000.00 needs a foundation approver');
    expect(refused.body.error.messageZh).to.include('8000.00').and.include('基金会审批人');
    const byReviewer = await api('POST', `/aid-cases/${id}/approve`, { token: reviewer.token, body: { approvedAmount: '8000.00' } });
    expect(errorCode(byReviewer)).to.equal('maker_checker');
    expect(byReviewer.body.error.messageZh).to.equal('您复核了本案，不能再审批本案（经办与审批分离）');
    const got = await api('GET', `/aid-cases/${id}`, { token: reviewer.token });
    expect(got.body.tierLimits).to.deep.equal({ district: '5000.00', foundation: '20000.00' });
  });

  it('shows the latest assessment’s per-capita income and date in the list and on the file, not the intake figure', async () => {
    const officer = await userToken(['officer'], 'CY');
    const name = `周${Date.now().toString(36)}`;
    const hid = await household(officer.token, 'CY', name); // intake 2000.00 / 2 = 1000.00
    const today = shanghaiDate();
    const a = await api('POST', `/households/${hid}/assessments`, { token: officer.token, body: { date: today, monthlyIncome: '4304.76', memberCount: 2 } });
    expect(a.status).to.equal(201);
    const list = await api('GET', `/households?q=${encodeURIComponent(name)}`, { token: officer.token });
    expect(list.body.items[0].latestAssessment).to.deep.equal({ date: today, perCapitaIncome: '2152.38' });
    const fresh = await household(officer.token, 'CY', `${name}乙`);
    const none = await api('GET', `/households?q=${encodeURIComponent(`${name}乙`)}`, { token: officer.token });
    expect(none.body.items.find((h: any) => h.id === fresh).latestAssessment).to.equal(null);

    const b = await Browser.as(officer.username);
    const row = textOf((await b.get(`/households?q=${encodeURIComponent(name)}`)).text);
    expect(row).to.include('2152.38');
    expect(row).to.include(today);
    const file = (await b.get(`/households/${hid}`)).text;
    const latest = /id="latest-income">([^]*?)<\/dd>/.exec(file)![1]!;
    expect(textOf(latest)).to.include('2152.38').and.include(today);
  });

  it('picks the household by name on /cases/new (own district only) and lists only the funds the case may use', async () => {
    const cy = await userToken(['officer'], 'CY');
    const hd = await userToken(['officer'], 'HD');
    const name = `吴${Date.now().toString(36)}`;
    const mineId = await household(cy.token, 'CY', name);
    await household(hd.token, 'HD', name);
    const finance = (await userToken(['finance'])).token;
    const { root, funds } = await fundTree(finance, ['CY', 'HD']);

    const b = await Browser.as(cy.username);
    const json = await b.get(`/households/search.json?q=${encodeURIComponent(name)}`);
    expect(json.res.headers.get('content-type')).to.match(/json/);
    const items = JSON.parse(json.text).items;
    expect(items.map((h: any) => h.id)).to.deep.equal([mineId]);
    expect(JSON.stringify(items)).not.to.match(/\d{17}[\dX]/); // no ID numbers

    const search = (await b.get(`/cases/new?q=${encodeURIComponent(name)}`)).text;
    expect(search).to.include(`href="/cases/new?household=${mineId}"`);
    const form = (await b.get(`/cases/new?household=${mineId}`)).text;
    expect(form).to.include(`name="householdId" value="${mineId}"`);
    expect(form).to.include(`value="${funds.CY}"`);
    expect(form).to.include(`value="${root}"`);
    expect(form).not.to.include(`value="${funds.HD}"`);
    // Posting without a household is refused at the picker, nothing sent to the API.
    const bare = await b.post('/cases/new', { householdId: '', fund: funds.CY!, reason: 'illness', requestedAmount: '100.00' });
    expect(bare.res.status).to.equal(400);
    expect(textOf(bare.text)).to.include('请先选择家庭');
  });

  it('filters the case list by reason, amount range and dates', async () => {
    const officer = await userToken(['officer'], 'SY');
    const { fund } = await fundWithMoney('10000.00', 'SY');
    const hid = await household(officer.token, 'SY', '郑海');
    const edu = await draftCase(officer.token, hid, fund, '1234.56', 'education');
    const ill = await draftCase(officer.token, hid, fund, '4321.00', 'illness');
    const b = await Browser.as(officer.username);
    const today = shanghaiDate();
    const byReason = (await b.get(`/cases?reason=education&from=${today}&to=${today}`)).text;
    expect(byReason).to.include(`href="/cases/${edu}"`);
    expect(byReason).not.to.include(`href="/cases/${ill}"`);
    const byAmount = (await b.get('/cases?minAmount=4000&maxAmount=4500')).text;
    expect(byAmount).to.include(`href="/cases/${ill}"`);
    expect(byAmount).not.to.include(`href="/cases/${edu}"`);
    expect(byAmount).to.match(/id="f-minAmount"[^>]*value="4000"/);
  });

  it('lets an admin create users, shows the incompatible-role refusal, disables and resets passwords', async () => {
    const b = await Browser.as(ADMIN.username, ADMIN.password);
    const list = await b.get('/users');
    expect(textOf(list.text)).to.include('不相容职务');
    const username = `p${Date.now().toString(36)}`;
    const bad = await b.post('/users', { username, displayName: '冯会计', password: PASSWORD, roles: ['finance', 'admin'], district: '' });
    expect(bad.res.status).to.equal(422);
    expect(textOf(/id="incompatible-roles"[^>]*>([^]*?)<\/p>/.exec(bad.text)![1]!)).to.include('管理员 + 财务');
    expect(bad.text).to.match(/id="new-role-finance"[^>]*checked/); // the choices are kept
    const users = async () => (await api('GET', '/users', { token: await adminToken() })).body.items as any[];
    expect((await users()).some((u) => u.username === username)).to.equal(false);

    const ok = await b.post('/users', { username, displayName: '冯会计', password: PASSWORD, roles: ['finance'], district: '' });
    expect(ok.res.status).to.equal(303);
    const id = (await users()).find((u) => u.username === username).id;
    expect(ok.res.headers.get('location')).to.equal(`/users/${id}?saved=created`);
    await b.get(`/users/${id}`);
    const roles = await b.post(`/users/${id}/roles`, { displayName: '冯会计', district: 'CY', roles: ['officer'] });
    expect(roles.res.status).to.equal(303);
    expect((await users()).find((u) => u.id === id)).to.include({ district: 'CY' });
    const off = await b.post(`/users/${id}/state`, { disabled: 'true' });
    expect(off.res.status).to.equal(303);
    expect(textOf((await b.get(`/users/${id}`)).text)).to.include('已停用');
    await b.post(`/users/${id}/state`, { disabled: 'false' });
    const reset = await b.post(`/users/${id}/password`, { password: 'New-pass-67890' });
    expect(reset.res.status).to.equal(303);
    expect((await api('POST', '/auth/login', { body: { username, password: 'New-pass-67890' } })).status).to.equal(200);
    // Not for other roles.
    const auditor = await userToken(['auditor']);
    expect((await (await Browser.as(auditor.username)).get('/users')).res.status).to.equal(403);
  });

  it('lets an admin set the year target and district quotas; the page shows them in Chinese', async () => {
    const b = await Browser.as(ADMIN.username, ADMIN.password);
    await b.get('/targets/2088/edit');
    const wrong = await b.post('/targets/2088/edit', { target: '0', q_CY: '5' });
    expect(wrong.res.status).to.equal(400);
    const ok = await b.post('/targets/2088/edit', { target: '321', q_CY: '12', q_HD: '' });
    expect(ok.res.status).to.equal(303);
    const g = (await api('GET', '/targets/2088', { token: await adminToken() })).body;
    expect(g.target).to.equal(321);
    expect(g.byDistrict.find((d: any) => d.district === 'CY').quota).to.equal(12);
    const page = textOf((await b.get('/targets?year=2088')).text);
    expect(page).to.include('指标').and.include('距脱困标准差额');
    expect(page).not.to.match(/\b(Quota|Gap)\b/);
    const edit = (await b.get('/targets/2088/edit')).text;
    expect(edit).to.match(/id="f-q_CY"[^>]*value="12"/);
    const officer = await userToken(['officer'], 'CY');
    expect((await (await Browser.as(officer.username)).get('/targets/2088/edit')).res.status).to.equal(403);
  });

  it('filters the audit log by action, subject and dates, with labelled details and no "null"', async () => {
    const admin = await adminToken();
    expect((await api('PUT', '/targets/2087', { token: admin, body: { target: 77 } })).status).to.equal(200);
    await userToken(['officer'], 'CY'); // a user.created row: no public payload
    const auditor = await userToken(['auditor']);
    const b = await Browser.as(auditor.username);
    const hit = (await b.get('/audit?action=target.set&subject=target:2087')).text;
    const body = textOf(hit.slice(hit.indexOf('<tbody>')));
    expect(body).to.include('设置年度目标');
    expect(body).to.include('目标: 77');
    expect(body).not.to.include('null');
    const users = textOf((await b.get('/audit?action=user.created')).text);
    expect(users).to.include('不公开');
    expect(users).not.to.match(/\bnull\b/);
    const none = (await b.get('/audit?action=target.set&subject=target:2087&from=2099-01-01&to=2099-01-02')).text;
    expect(textOf(none)).to.include('暂无记录');
  });

  it('shows the /verify result with Chinese labels and Asia/Shanghai times, and links whole-period disclosure PDFs', async () => {
    const pdf = await fetch(`${testService().url}/api/v1/reports/aid-disclosure.pdf?from=2025-01-01&to=2025-12-31`);
    expect(pdf.status).to.equal(200);
    const sha = crypto.createHash('sha256').update(Buffer.from(await pdf.arrayBuffer())).digest('hex');
    const b = new Browser();
    const r = textOf((await b.get(`/verify?sha256=${sha}`)).text);
    expect(r).to.include('验证通过');
    for (const label of ['报表类型', '救助公开披露', '参数', '发布时间', '生成时间', '页数', '审计链头序号']) expect(r).to.include(label);
    expect(r).not.to.match(/\b(issuedAt|headSeq|generatedAt|kind|params)\b/);
    expect(r).not.to.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/); // no raw UTC instants
    expect(textOf((await b.get('/verify?sha256=xyz')).text)).to.include('64 位十六进制');

    const d = (await b.get('/disclosures')).text;
    const periods = [...d.matchAll(/data-pdf-period="([^"]+)"/g)].map((m) => m[1]!.split('/'));
    expect(periods.length).to.be.at.least(3);
    // Every link is a whole month, quarter or year: what the API serves without a login.
    for (const [from, to] of periods) expect(isPublicPeriod(from!, to!), `${from}/${to}`).to.equal(true);
    const link = /href="(\/api\/v1\/reports\/aid-disclosure\.pdf\?[^"]+)"/.exec(d)![1]!.replace(/&amp;/g, '&');
    const year = await fetch(testService().url + link);
    expect(year.status).to.equal(200);
    expect(Buffer.from(await year.arrayBuffer()).subarray(0, 5).toString()).to.equal('%PDF-');
    // A range that is not a whole period links the PDF of its year.
    expect((await b.get('/disclosures?from=2025-02-03&to=2025-02-20')).text).to.include('data-pdf-period="2025-01-01/2025-12-31"');
  });

  it('lists open objections for approvers in their scope (API and page)', async () => {
    const [officer, reviewer, approver, hdApprover] = await Promise.all([userToken(['officer'], 'CY'), userToken(['approver']), userToken(['approver']), userToken(['approver'], 'HD')]);
    const { fund } = await fundWithMoney('10000.00', 'CY');
    const hid = await household(officer.token, 'CY', '陈秀英');
    const id = await draftCase(officer.token, hid, fund, '1000.00');
    await api('POST', `/aid-cases/${id}/submit`, { token: officer.token, body: {} });
    await api('POST', `/aid-cases/${id}/review`, { token: reviewer.token, body: { recommendedAmount: '1000.00' } });
    const ap = await api('POST', `/aid-cases/${id}/approve`, { token: approver.token, body: { approvedAmount: '1000.00' } });
    expect(ap.status).to.equal(200);
    const filed = await api('POST', `/public/notices/${ap.body.caseNo}/objections`, { body: { text: '收入不实' } });
    expect(filed.status).to.equal(201);
    const list = await api('GET', '/aid-objections?limit=500', { token: reviewer.token });
    expect(list.status).to.equal(200);
    expect(list.body.items.find((o: any) => o.id === filed.body.id)).to.include({ caseId: id, caseNo: ap.body.caseNo, status: 'open', text: '收入不实' });
    const other = await api('GET', '/aid-objections?limit=500', { token: hdApprover.token });
    expect(other.body.items.some((o: any) => o.id === filed.body.id)).to.equal(false);
    expect((await api('GET', '/aid-objections', { token: officer.token })).status).to.equal(403);

    const page = (await (await Browser.as(approver.username)).get('/objections?limit=500')).text;
    expect(page).to.include(`href="/cases/${id}"`);
    // The approver of the case may not resolve the objection: the case page says why instead of a form.
    const casePage = (await (await Browser.as(approver.username)).get(`/cases/${id}`)).text;
    expect(casePage).not.to.include(`/objections/${filed.body.id}/resolve`);
    expect(textOf(casePage)).to.include('不能处理对本案的异议');
  });

  it('answers household refusals with a Chinese sentence of the same facts (messageZh)', async () => {
    const officer = await userToken(['officer'], 'CY');
    const hid = await household(officer.token, 'CY', '林国栋');
    const exit = await api('POST', `/households/${hid}/exit`, { token: officer.token, body: { date: shanghaiDate(), reason: '就业' } });
    expect(errorCode(exit)).to.equal('exit_criteria_not_met');
    expect(exit.body.error.message).to.match(/^no income assessment between/);
    expect(exit.body.error.messageZh).to.match(/之间没有收入核查/);
    const back = await api('POST', `/households/${hid}/return`, { token: officer.token, body: { date: shanghaiDate(), reason: '返困' } });
    expect(errorCode(back)).to.equal('invalid_state');
    expect(back.body.error.messageZh).to.include('当前为「在档」，不能标记返困');
    const id = validIdNumber();
    const first = await api('POST', '/households', { token: officer.token, body: { headName: '甲', idNumber: id, district: 'CY', monthlyIncome: '100.00', memberCount: 1, category: 'deep', causes: ['illness'] } });
    expect(first.status).to.equal(201);
    const dup = await api('POST', '/households', { token: officer.token, body: { headName: '乙', idNumber: id, district: 'CY', monthlyIncome: '100.00', memberCount: 1, category: 'deep', causes: ['illness'] } });
    expect(errorCode(dup)).to.equal('duplicate_household');
    expect(dup.body.error.messageZh).to.equal(`该身份证号已有在档家庭：档案 ${first.body.id}（CY 区）`);
  });
});
