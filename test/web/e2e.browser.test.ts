import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { testService } from '../support/env';
import { api, userToken } from '../support/api';
import { fundWithMoney, validIdNumber } from '../support/fixtures';
import { clock } from '../../src/platform/clock';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts/web');
const PASSWORD = 'Test-pass-12345';

/** Accessibility basics of the page now shown: lang, one h1, a main landmark, a label for every control. */
async function checkA11y(page: Page, name: string) {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    if (!document.documentElement.lang) out.push('no lang on <html>');
    if (document.querySelectorAll('h1').length !== 1) out.push(`${document.querySelectorAll('h1').length} h1 elements`);
    if (!document.querySelector('main')) out.push('no <main>');
    let last = 0;
    document.querySelectorAll('h1, h2, h3, h4').forEach((h) => {
      const level = Number(h.tagName[1]);
      if (last && level > last + 1) out.push(`heading jumps from h${last} to h${level}: ${h.textContent}`);
      last = level;
    });
    document.querySelectorAll('input, select, textarea').forEach((el) => {
      const i = el as HTMLInputElement;
      if (i.type === 'hidden' || i.type === 'submit' || i.type === 'button') return;
      const labelled = (i.id && document.querySelector(`label[for="${CSS.escape(i.id)}"]`)) || i.getAttribute('aria-label') || i.getAttribute('aria-labelledby') || i.closest('label');
      if (!labelled) out.push(`no label: ${i.outerHTML.slice(0, 120)}`);
    });
    document.querySelectorAll('button').forEach((b) => { if (!(b.textContent ?? '').trim() && !b.getAttribute('aria-label')) out.push('button without a name'); });
    return out;
  });
  expect(problems, `accessibility of ${name}`).to.deep.equal([]);
}

describe('web console end to end in headless Chromium', function () {
  this.timeout(240_000);
  let browser: Browser | undefined;
  let shot = 0;
  const contexts: BrowserContext[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.warn(`    (skipped: no Chromium at ${CHROMIUM}; install Debian's 'chromium' package to run the browser tests)`);
      this.skip();
    }
    const { chromium } = await import('playwright-core');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // playwright's launch() starts Chromium on a fresh temporary --user-data-dir of its own (it refuses the
    // flag in args); each user below gets a fresh browser context (own cookies) on it.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
  });

  const base = () => testService().url;
  async function newPage(mobile = false) {
    const ctx = await browser!.newContext({ baseURL: base(), acceptDownloads: true, viewport: mobile ? { width: 390, height: 844 } : { width: 1280, height: 900 }, locale: 'zh-CN' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errors: string[] = [];
    // A refused form answers 4xx on purpose; a missing asset (404), a CSP refusal or a script error is a failure.
    page.on('console', (m) => { if (m.type() === 'error' && !/status of (400|401|403|409|422|429)\b/.test(m.text())) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    (page as any).errors = errors;
    return page;
  }
  async function snap(page: Page, name: string) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
    await checkA11y(page, name);
    // No CSP violation or script error on any page.
    expect((page as any).errors, `console errors on ${name}`).to.deep.equal([]);
  }
  async function login(page: Page, username: string) {
    await page.goto('/login');
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL('**/dashboard');
  }

  it('officer → reviewer → approver → public objection → resolution → notice end → payment → auditor PDF verified', async () => {
    const { fund } = await fundWithMoney('50000.00', 'CY');
    const [officer, approverA, approverB, finance, auditor, approverC] = await Promise.all([
      userToken(['officer'], 'CY'), userToken(['approver']), userToken(['approver']), userToken(['finance']), userToken(['auditor']), userToken(['approver']),
    ]);

    // Public pages first, on a phone-sized screen, keyboard only on the login form.
    const pub = await newPage(true);
    await pub.goto('/notices');
    await snap(pub, 'public-notices-empty-mobile');
    await pub.goto('/login');
    await pub.keyboard.press('Tab'); // skip link
    await pub.getByLabel('用户名').focus();
    await pub.keyboard.type('nobody');
    await pub.keyboard.press('Tab');
    await pub.keyboard.type('wrong-password');
    await pub.keyboard.press('Enter');
    await pub.waitForSelector('#login-error');
    await snap(pub, 'login-refused');

    // 1. The officer registers a household (a validation message first) and opens a case.
    const off = await newPage();
    await login(off, officer.username);
    await snap(off, 'officer-dashboard');
    await off.goto('/households/new');
    await snap(off, 'household-new');
    const idNumber = validIdNumber();
    await off.getByLabel('户主 *').fill('王建国');
    await off.getByLabel('身份证号 *').fill('110105199001011234'); // bad check digit
    await off.getByLabel('电话').fill('13912345678');
    await off.getByLabel('家庭月收入 (¥) *').fill('1800.00');
    await off.getByLabel('家庭人口 *').fill('2');
    await off.getByLabel('困难类别 *').selectOption('deep');
    await off.getByLabel('疾病').check();
    await off.locator('#f-m0_name').fill('李秀兰');
    await off.locator('#f-m0_relation').fill('配偶');
    await off.getByRole('button', { name: '保存' }).click();
    await off.waitForSelector('#f-idNumber-err');
    await snap(off, 'household-new-field-error');
    await off.getByLabel('身份证号 *').fill(idNumber);
    await off.getByRole('button', { name: '保存' }).click();
    await off.waitForURL(/\/households\/\d+\?saved=1$/);
    const householdId = Number(/households\/(\d+)/.exec(off.url())![1]);
    expect(await off.locator('h1').textContent()).to.include('王建国');
    await snap(off, 'household-file');

    expect(await off.getByRole('link', { name: '发起救助申请' }).getAttribute('href')).to.equal(`/cases/new?household=${householdId}`);
    // /cases/new without a household: a search-as-you-type picker (same-origin JSON, own district only).
    await off.goto('/cases/new');
    await off.getByLabel('按姓名或身份证号搜索（本区）').pressSequentially('王建', { delay: 30 });
    const pick = off.locator(`[data-hh-results] a[href="/cases/new?household=${householdId}"]`);
    await pick.waitFor();
    await snap(off, 'case-new-picker');
    await pick.click();
    await off.waitForURL(new RegExp(`/cases/new\\?household=${householdId}$`));
    await off.getByLabel('基金 *').selectOption(fund);
    await off.getByLabel('原因 *').selectOption('illness');
    await off.getByLabel('申请金额 (¥) *').fill('3000.00');
    await off.getByLabel('情况说明').fill('住院治疗 <b>费用</b>');
    await snap(off, 'case-new');
    await off.getByRole('button', { name: '保存' }).click();
    await off.waitForURL(/\/cases\/\d+\?saved=1$/);
    const caseId = Number(/cases\/(\d+)/.exec(off.url())![1]);
    expect(await off.locator('dd', { hasText: '住院治疗' }).textContent()).to.include('<b>费用</b>'); // shown as text, not markup
    await off.getByRole('button', { name: '提交' }).click();
    await off.waitForURL(/saved=1/);
    expect(await off.locator('#case-status').textContent()).to.equal('已提交');
    await snap(off, 'case-submitted');
    const caseNo = (await api('GET', `/aid-cases/${caseId}`, { token: officer.token })).body.caseNo as string;

    // The creator is offered no review form: the page says why instead.
    expect(await off.locator('#why-review').textContent()).to.include('您是本案经办人，不能复核');
    expect(await off.getByRole('button', { name: '复核' }).count()).to.equal(0);
    // The timeline reads in Chinese.
    expect(await off.locator('td', { hasText: /^创建$/ }).count()).to.equal(1);
    expect(await off.locator('td', { hasText: /^提交$/ }).count()).to.equal(1);

    // 2. Approver A reviews, then is offered no approval of what they reviewed (maker-checker shown on the page).
    const a = await newPage();
    await login(a, approverA.username);
    await a.goto(`/cases/${caseId}`);
    await a.getByLabel('建议金额 (¥) *').fill('3000.00');
    await a.getByRole('button', { name: '复核' }).click();
    await a.waitForURL(/saved=1/);
    expect(await a.locator('#case-status').textContent()).to.equal('已复核');
    await snap(a, 'case-reviewed-rules');
    expect(await a.locator('#h-rules').isVisible()).to.equal(true);
    expect(await a.getByRole('button', { name: '批准' }).count()).to.equal(0);
    expect(await a.locator('#why-approve').textContent()).to.include('您复核了本案，不能审批');
    expect(await a.locator('#case-status').textContent()).to.equal('已复核');
    await snap(a, 'maker-checker-refused');

    // 3. Approver B approves: the case goes into public notice.
    const b = await newPage();
    await login(b, approverB.username);
    await snap(b, 'approver-dashboard');
    await b.goto(`/cases/${caseId}`);
    await b.getByRole('button', { name: '批准' }).click();
    await b.waitForURL(/saved=1/);
    expect(await b.locator('#case-status').textContent()).to.equal('公示中');

    // 4. The public sees it masked and objects (keyboard only).
    await pub.goto('/notices');
    const row = pub.locator('tr', { hasText: caseNo });
    expect(await row.textContent()).to.include('王*国');
    expect(await pub.content()).not.to.include('王建国');
    expect(await pub.content()).not.to.include(idNumber);
    expect(await pub.content()).not.to.include('13912345678');
    await pub.locator('summary', { hasText: caseNo }).click();
    await pub.getByLabel(`异议内容（仅文字） (${caseNo}) *`).focus();
    await pub.keyboard.type('该户已有稳定收入 <img src=x>');
    await pub.keyboard.press('Tab');
    await pub.keyboard.type('匿名');
    await pub.keyboard.press('Tab');
    await pub.keyboard.press('Enter');
    await pub.waitForSelector('p.flash');
    expect(await pub.locator('p.flash').textContent()).to.include('异议已收到');
    await snap(pub, 'objection-filed-mobile');

    // 5. Approver C (who neither reviewed nor approved the case: maker-checker) sees the objection (as text) and dismisses it.
    const oc = await newPage();
    await login(oc, approverC.username);
    await oc.goto('/dashboard');
    expect(Number((await oc.locator('#todo-objections').textContent())?.match(/\d+/)?.[0] ?? 0)).to.be.at.least(1); // other tests share the database
    await oc.goto(`/cases/${caseId}`);
    expect(await oc.locator('blockquote').textContent()).to.include('该户已有稳定收入'); // the API keeps text only
    expect(await oc.locator('blockquote img').count()).to.equal(0);
    await oc.locator('textarea[name="note"]').last().fill('经核实收入未达标');
    await oc.getByRole('button', { name: '处理' }).click();
    await oc.waitForURL(/saved=1/);
    await snap(oc, 'objection-dismissed');

    // 6. The notice ends (the clock moves); the sweep makes the case payable.
    clock.advance(10_000);
    let status = '';
    for (let i = 0; i < 40 && status !== 'payable'; i++) {
      status = (await api('GET', `/aid-cases/${caseId}`, { token: officer.token })).body.status;
      if (status !== 'payable') await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).to.equal('payable');
    await pub.goto('/notices');
    expect(await pub.content()).not.to.include(caseNo);

    // 7. Finance pays it; the fund's available balance falls by the amount.
    const f = await newPage();
    await login(f, finance.username);
    await snap(f, 'finance-dashboard');
    await f.goto('/funds');
    const before = Number(await f.locator(`[data-fund-available="${fund}"]`).getAttribute('data-value'));
    await snap(f, 'funds');
    await f.goto('/payments');
    await f.getByRole('link', { name: caseNo }).click();
    await f.getByLabel('支付流水号 *').fill('BANK-REF-1');
    await f.getByRole('button', { name: '支付' }).click();
    await f.waitForURL(/saved=1/);
    expect(await f.locator('#case-status').textContent()).to.equal('已支付');
    await snap(f, 'case-paid');
    await f.goto('/funds');
    const after = Number(await f.locator(`[data-fund-available="${fund}"]`).getAttribute('data-value'));
    expect(before - after).to.equal(3000);
    await f.goto(`/journal?fund=${fund}`);
    await snap(f, 'journal');
    await f.goto('/journal/new');
    const L = (name: string) => f.getByLabel(name, { exact: true });
    await f.getByLabel('摘要 *').fill('现金存入银行');
    await L('科目 1').selectOption('1002');
    await L('基金 1').selectOption(fund);
    await L('借方 1').fill('10.00');
    await L('科目 2').selectOption('1001');
    await L('基金 2').selectOption(fund);
    await L('贷方 2').fill('9.00');
    expect(await f.locator('[data-post]').isDisabled()).to.equal(true);
    expect(await f.locator('[data-totals]').textContent()).to.include('≠');
    await L('贷方 2').fill('10.00');
    expect(await f.locator('[data-totals]').textContent()).to.include('✓');
    expect(await f.locator('[data-post]').isDisabled()).to.equal(false);
    await snap(f, 'journal-new-balanced');

    // 8. The public sees the disclosure; the auditor downloads the disclosure PDF and verifies it.
    await pub.goto('/disclosures');
    expect(await pub.locator('tr', { hasText: caseNo }).textContent()).to.include('王*国');
    await snap(pub, 'disclosures-mobile');

    const au = await newPage();
    await login(au, auditor.username);
    await au.goto('/audit?verify=1');
    expect(await au.locator('#verify-chain').textContent()).to.include('审计链完整');
    await snap(au, 'audit-verified');
    await au.goto('/reports');
    await snap(au, 'reports');
    const [download] = await Promise.all([au.waitForEvent('download'), au.locator('#h-aid-disclosure').locator('..').getByRole('button', { name: '下载' }).click()]);
    const pdfPath = path.join(ARTIFACTS, 'aid-disclosure.pdf');
    await download.saveAs(pdfPath);
    const pdf = fs.readFileSync(pdfPath);
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    await au.goto('/verify');
    await au.getByLabel('PDF 文件').setInputFiles(pdfPath); // hashed in the browser, then looked up
    await au.waitForSelector('#verify-result');
    expect(await au.locator('#f-sha256').inputValue()).to.equal(sha);
    expect(await au.locator('#verify-result').textContent()).to.include('验证通过');
    await snap(au, 'report-verified');

    // The English switch works on a page with data.
    await au.goto('/audit?lang=en');
    expect(await au.locator('h1').textContent()).to.equal('Audit log');
    await snap(au, 'audit-log-en');
    expect(householdId).to.be.greaterThan(0);
  });
  it('finance uploads a GBK bank statement on the page, auto-matches it and sees the difference; the target page draws', async () => {
    const { fund, root } = await fundWithMoney('0.00', 'CY');
    const finance = await userToken(['finance']);
    const fin = await newPage();
    await login(fin, finance.username);
    await fin.goto('/reconciliation');
    await fin.getByLabel('基金 *').selectOption(fund);
    await fin.locator('input[name=periodFrom]').fill('2026-10-01');
    await fin.locator('input[name=periodTo]').fill('2026-10-31');
    await fin.locator('input[name=openingBalance]').fill('5000.00');
    await fin.locator('input[name=closingBalance]').fill('13487.50');
    await fin.locator('input[type=file][data-read-into]').setInputFiles(path.resolve('test/fixtures/statements/cn-gbk.csv'));
    await fin.waitForFunction(() => (document.getElementById('f-content') as HTMLTextAreaElement | null)?.value.includes('手续费'));
    await snap(fin, 'statement-upload-gbk');
    // 预览 first: the detected columns, the first lines and the problems, nothing stored; then 导入.
    await fin.getByRole('button', { name: '预览' }).click();
    await fin.waitForSelector('#preview-lines');
    expect(await fin.locator('#preview-lines').textContent()).to.match(/^3 /);
    expect(await fin.locator('section.preview').textContent()).to.include('支出（借方）');
    expect(await fin.locator('section.preview .error').count()).to.equal(0);
    await snap(fin, 'statement-preview');
    await fin.getByRole('button', { name: '导入' }).click();
    await fin.waitForURL(/\/reconciliation\/\d+\?done=imported$/);
    expect(await fin.locator('p.flash[role=status]').textContent()).to.include('对账单已导入');
    expect(await fin.content()).to.include('捐赠 温暖基金');
    await fin.getByRole('button', { name: '自动匹配' }).click();
    await fin.waitForURL(/done=auto/);
    expect(await fin.locator('p.flash[role=status]').textContent()).to.include('自动匹配');
    // The ledger has none of these lines: no 完成对账, the page says what is left unexplained.
    expect(await fin.getByRole('button', { name: '完成对账' }).count()).to.equal(0);
    expect(await fin.locator('#recon-cannot-close').textContent()).to.include('未解释差额');
    expect(await fin.locator('#recon-explained').textContent()).to.include('13,487.50');
    await snap(fin, 'statement-matching');

    // The finance pages of the books: statements, fund tree, an entry with its reverse form, periods.
    for (const [url, name] of [['/books/trial-balance', 'trial-balance'], ['/books/financial-position', 'financial-position'], ['/books/activities', 'activities'],
      ['/fund-tree', 'fund-tree'], [`/fund-tree/${fund}`, 'fund'], ['/periods', 'periods'], ['/donations/new', 'donation-new']] as const) {
      await fin.goto(url);
      expect(await fin.locator('h1').count(), url).to.equal(1);
      await snap(fin, name);
    }
    await fin.goto('/allocations/new');
    await fin.getByLabel('调出基金 *').selectOption(fund);
    await fin.getByLabel('调入基金 *').selectOption(root);
    await fin.getByLabel('金额 (¥) *').fill('1.00');
    await fin.getByLabel('用途 *').fill('测试');
    await fin.getByRole('button', { name: '保存' }).click(); // the fund has nothing: refused, in Chinese
    await fin.waitForSelector('[role=alert]');
    expect(await fin.locator('[role=alert]').textContent()).to.match(/不足/);
    await fin.goto('/journal');
    const firstEntry = fin.locator('table a[href^="/journal/"]').first();
    if (await firstEntry.count()) {
      await firstEntry.click();
      await fin.waitForSelector('#entry-number');
      await snap(fin, 'journal-entry');
    }

    const viewer = await newPage();
    await login(viewer, (await userToken(['auditor'])).username);
    await viewer.goto(`/targets?year=${new Date().getUTCFullYear()}`);
    expect(await viewer.locator('svg').count()).to.be.greaterThan(0);
    await snap(viewer, 'targets');
  });
});
