import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, startIsolatedService } from '../support/env';
import { apiAt } from '../support/api';
import { validIdNumber } from '../support/fixtures';
import { shanghaiDate } from '../../src/platform/clock';

/**
 * Walks the console as each role, on its own fresh service (so only the data made here shows): every link
 * of the role's menu, one detail page of each kind, the forms linked from them. Every page must be Chinese
 * (no untranslated English word in visible text: codes, amounts, dates, names (marked translate="no"), and
 * English marked `lang="en"` / `class="en"` beside a Chinese label are allowed), pass axe-core with no serious or critical
 * violation at 1280 px and at 390 px, not scroll sideways on a phone, and log no console error. Screenshots of
 * each page at both widths go to test-artifacts/web/walk/. Failures are collected and reported together.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts/web/walk');
const PASSWORD = 'Test-pass-12345';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** English that is fine on a Chinese page: names of formats and products. Upper-case codes (CSV, PDF, ID, CY) pass anyway. */
const ALLOWED_WORDS = new Set(['Excel', 'xls', 'xlsx', 'csv', 'camt']);
const PAGES_PER_ROLE = 45;

type Role = 'officer' | 'approver' | 'finance' | 'auditor' | 'admin' | 'public';
interface Finding { role: Role; url: string; what: string }

/** Words of visible text (and of placeholders, labels for screen readers, the title) that look like untranslated English. */
async function englishWords(page: Page): Promise<string[]> {
  return page.evaluate((allowed) => {
    const out = new Set<string>();
    const skip = (el: Element | null) => !el || !!el.closest('script, style, noscript, [lang^="en"], .en, [translate="no"], [aria-hidden="true"]');
    const check = (text: string | null | undefined) => {
      for (const token of (text ?? '').split(/\s+/)) {
        if (!token || /\d/.test(token)) continue; // codes, amounts, dates, case numbers, hashes, usernames with digits
        if (/^\/|:\/\//.test(token)) continue; // an address or a path printed for people to type (/verify)
        for (const w of token.split(/[^A-Za-z]+/)) {
          if (w.length < 2 || w === w.toUpperCase() || allowed.includes(w)) continue; // CSV, PDF, ID, SHA, district codes
          out.add(w);
        }
      }
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (skip(el)) continue;
      const inSelect = !!el!.closest('select');
      if (!inSelect && !(el as HTMLElement).checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      check(n.textContent);
    }
    document.querySelectorAll('[placeholder], [aria-label], [title], img[alt], input[type=submit], input[type=button]').forEach((el) => {
      if (skip(el)) return;
      for (const a of ['placeholder', 'aria-label', 'title', 'alt']) check(el.getAttribute(a));
      if (el instanceof HTMLInputElement && (el.type === 'submit' || el.type === 'button')) check(el.value);
    });
    check(document.title);
    return [...out].sort();
  }, [...ALLOWED_WORDS]);
}

/** axe-core (injected by the context before any page script: CDP, so the page's CSP stays as it is). */
async function axeProblems(page: Page, opts: { contrast: boolean }): Promise<string[]> {
  return page.evaluate(async (contrast) => {
    const axe = (window as any).axe;
    if (!axe) return ['axe-core was not injected'];
    // Colours are the same at both widths: contrast (the slowest rule) is checked at 1280 px.
    const r = await axe.run(document, { resultTypes: ['violations'], ...(contrast ? {} : { rules: { 'color-contrast': { enabled: false } } }) });
    return r.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(' | ')}${v.nodes.length > 3 ? ` (+${v.nodes.length - 3})` : ''}`);
  }, opts.contrast);
}

/** A page's address as a pattern, so each kind of page is checked in full once (numbers → :id). */
const patternOf = (url: string) => {
  const u = new URL(url, 'http://x');
  return u.pathname.replace(/\/\d+(?=\/|$)/g, '/:id').replace(/\/[0-9]{4}-[A-Z]{2,3}-\d+/g, '/:no');
};

describe('web console walk: every page of every role in Chinese, accessible, on a laptop and a phone', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let stop: (() => Promise<void>) | undefined;
  let base = '';
  const contexts: BrowserContext[] = [];
  const users: Partial<Record<Role, { username: string; token: string }>> = {};
  const ids: { household?: number; caseDraft?: number; casePaid?: number; statement?: number; entry?: number; fund?: string } = {};
  const english: Finding[] = [];
  const a11y: Finding[] = [];
  const layout: Finding[] = [];
  const errors: Finding[] = [];
  const visited: string[] = [];
  const checked = new Set<string>();
  const spent: Record<string, number> = { goto: 0, text: 0, axe: 0, shots: 0 };
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try { return await f(); } finally { spent[what]! += Date.now() - t; }
  };

  const call = async (method: string, p: string, token: string | undefined, body?: unknown) => {
    const r = await apiAt(base, method, p, { token, body });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  };

  /** Users of each role and a little of everything: a file, a draft case, a paid case, a statement, entries. */
  async function makeData() {
    const admin = (await call('POST', '/auth/login', undefined, { username: ADMIN.username, password: ADMIN.password })).token as string;
    users.admin = { username: ADMIN.username, token: admin };
    const mk = async (key: string, roles: string[], district?: string) => {
      const username = `walk-${key}-1`;
      await call('POST', '/users', admin, { username, password: PASSWORD, displayName: `巡检${key.length}号`, roles, ...(district ? { district } : {}) });
      return { username, token: (await call('POST', '/auth/login', undefined, { username, password: PASSWORD })).token as string };
    };
    users.officer = await mk('officer', ['officer'], 'CY');
    const officer2 = await mk('officerb', ['officer'], 'CY');
    users.approver = await mk('approver', ['approver']);
    users.finance = await mk('finance', ['finance']);
    users.auditor = await mk('auditor', ['auditor']);
    const fin = users.finance.token, off = users.officer.token;
    const root = `WALK${Date.now().toString(36).toUpperCase().slice(-4)}`;
    await call('POST', '/funds', fin, { code: root, nameZh: '巡检基金会', nameEn: 'Walk foundation', kind: 'foundation', restricted: false });
    ids.fund = `${root}-CY`;
    await call('POST', '/funds', fin, { code: ids.fund, nameZh: '朝阳专项基金', nameEn: 'Chaoyang fund', kind: 'district', parentCode: root, district: 'CY', restricted: false });
    const today = shanghaiDate();
    await call('POST', '/donations', fin, { fund: ids.fund, amount: '20000.00', date: today, donor: { name: '爱心企业', kind: 'organization', anonymous: false } });
    const hh = await call('POST', '/households', off, {
      headName: '巡检户', idNumber: validIdNumber(), phone: '13912345678', district: 'CY', unionOrg: '某厂工会', address: '某路1号',
      members: [{ name: '李秀兰', relation: '配偶', age: 45 }], monthlyIncome: '1800.00', memberCount: 2, category: 'deep', causes: ['illness'],
    });
    ids.household = hh.id;
    await call('POST', `/households/${hh.id}/assessments`, off, { date: today, monthlyIncome: '1900.00', memberCount: 2, rigidExpenses: '300.00', evidence: '工资单' });
    const open = async (amount: string) => (await call('POST', '/aid-cases', off, { householdId: hh.id, fund: ids.fund, reason: 'illness', description: '住院治疗', requestedAmount: amount, urgent: false })).id as number;
    ids.caseDraft = await open('800.00');
    ids.casePaid = await open('1000.00');
    await call('POST', `/aid-cases/${ids.casePaid}/submit`, off, {});
    await call('POST', `/aid-cases/${ids.casePaid}/review`, officer2.token, { recommendedAmount: '1000.00', note: '属实' });
    await call('POST', `/aid-cases/${ids.casePaid}/approve`, users.approver.token, { approvedAmount: '1000.00', note: '同意' });
    // The notice period of the test service is 2 s; the sweep then makes the case payable.
    for (let i = 0; i < 40; i++) {
      if ((await call('GET', `/aid-cases/${ids.casePaid}`, off)).status === 'payable') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await call('POST', `/aid-cases/${ids.casePaid}/disburse`, fin, { paymentRef: 'WALK-1', date: today });
    const third = await open('600.00'); // in notice, with an objection, for the notice board and the approver
    await call('POST', `/aid-cases/${third}/submit`, off, {});
    await call('POST', `/aid-cases/${third}/review`, officer2.token, { recommendedAmount: '600.00' });
    ids.statement = (await call('POST', '/bank-statements', fin, { fund: ids.fund, periodFrom: '2025-01-01', periodTo: '2025-01-31', openingBalance: '0.00', closingBalance: '0.00', format: 'csv', content: 'date,amount\n' })).id;
    ids.entry = (await call('GET', `/journal-entries?fund=${ids.fund}&limit=1`, fin)).items[0].id;
  }

  async function newPage(): Promise<Page> {
    const ctx = await browser!.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    // tsx keeps function names with a __name() helper that the page lacks: give the page a no-op one.
    await ctx.addInitScript({ content: `globalThis.__name = globalThis.__name || ((f) => f);\n${AXE_SOURCE}` });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errs: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' && !/status of (400|401|403|404|409|422|429)\b/.test(m.text())) errs.push(m.text()); });
    page.on('pageerror', (e) => errs.push(String(e)));
    (page as any).errs = errs;
    return page;
  }

  async function login(page: Page, role: Role) {
    await page.goto('/login');
    await page.locator('input[name=username]').fill(users[role]!.username);
    await page.locator('input[name=password]').fill(role === 'admin' ? ADMIN.password : PASSWORD);
    await Promise.all([page.waitForURL('**/dashboard'), page.getByRole('button', { name: '登录' }).click()]);
  }

  /** One page: Chinese always; axe, screenshots and the phone layout the first time this kind of page is seen. */
  async function visit(page: Page, role: Role, url: string): Promise<string[]> {
    const errs: string[] = (page as any).errs;
    errs.length = 0;
    const res = await timed('goto', () => page.goto(url));
    visited.push(`${role} ${url}`);
    if (!res || res.status() >= 400) errors.push({ role, url, what: `HTTP ${res?.status()}` });
    for (const w of await timed('text', () => englishWords(page))) english.push({ role, url, what: w });
    const pattern = patternOf(url);
    if (!checked.has(pattern)) {
      checked.add(pattern);
      const name = `${role}-${pattern.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '') || 'root'}`;
      for (const p of await timed('axe', () => axeProblems(page, { contrast: true }))) a11y.push({ role, url, what: `1280px ${p}` });
      await timed('shots', () => page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`), fullPage: true }));
      await page.setViewportSize({ width: 390, height: 844 });
      await timed('shots', () => page.screenshot({ path: path.join(ARTIFACTS, `${name}-390.png`), fullPage: true }));
      for (const p of await timed('axe', () => axeProblems(page, { contrast: false }))) a11y.push({ role, url, what: `390px ${p}` });
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (over > 2) layout.push({ role, url, what: `scrolls sideways by ${over}px at 390px` });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    for (const e of errs) errors.push({ role, url, what: e });
    // Links to other pages of the console (not downloads, not exports, not another language).
    // Links to other pages of the console: the menu's, and pages of a kind not seen yet (no exports, no
    // other language, no variants of a list by its query string).
    const links = await page.evaluate(() => [...document.querySelectorAll<HTMLAnchorElement>('nav.main a[href^="/"], main a[href^="/"]')]
      .filter((a) => !a.hasAttribute('download'))
      .map((a) => ({ href: a.getAttribute('href')!, menu: !!a.closest('nav.main') })));
    return links
      .filter((l) => !l.href.includes('?') && !/^\/(logout|docs|api\/|reports\/download|assets\/)/.test(l.href))
      .filter((l) => l.menu || !checked.has(patternOf(l.href)))
      .map((l) => l.href);
  }

  async function walk(role: Role, extra: string[]) {
    const page = await newPage();
    if (role !== 'public') await login(page, role);
    const queue = [...(role === 'public' ? ['/notices', '/disclosures', '/verify', '/login'] : ['/dashboard']), ...extra];
    const seen = new Set<string>();
    const seenPattern = new Set<string>();
    let n = 0;
    while (queue.length && n < PAGES_PER_ROLE) {
      const url = queue.shift()!;
      const key = patternOf(url) + (url.includes('?') ? '?' : '');
      if (seen.has(url) || seenPattern.has(key)) continue;
      seen.add(url);
      seenPattern.add(key);
      n++;
      const links = await visit(page, role, url);
      // Public pages are walked once, by the public; staff walk their own menu and what it leads to.
      for (const l of links) if (role === 'public' || !/^\/(notices|disclosures|verify|login)(\?|$)/.test(l)) queue.push(l);
    }
  }

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.warn(`    (skipped: no Chromium at ${CHROMIUM})`);
      this.skip();
    }
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const svc = await startIsolatedService();
    stop = svc.stop;
    base = svc.service.url;
    await makeData();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const started = Date.now();
    // Two roles at a time (each in its own browser context) keeps the walk short.
    await Promise.all([
      walk('public', []).then(() => walk('approver', [`/cases/${ids.casePaid}`])),
      walk('officer', [`/households/${ids.household}`, `/cases/${ids.caseDraft}`, '/households/new', `/cases/new?household=${ids.household}`]),
    ]);
    await Promise.all([
      walk('finance', [`/reconciliation/${ids.statement}`, `/journal/${ids.entry}`, '/journal/new', '/donations/new', '/allocations/new']),
      walk('auditor', ['/audit?verify=1']),
    ]);
    await walk('admin', []);
    console.log(`    walked ${visited.length} pages (${checked.size} kinds checked in full) in ${((Date.now() - started) / 1000).toFixed(1)} s; ms spent: ${JSON.stringify(spent)}`);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stop?.();
  });

  const report = (list: Finding[]) => {
    const by = new Map<string, Set<string>>();
    for (const f of list) {
      const k = `${f.role} ${f.url}`;
      if (!by.has(k)) by.set(k, new Set());
      by.get(k)!.add(f.what);
    }
    return [...by].map(([k, v]) => `${k}: ${[...v].join(', ')}`).join('\n');
  };

  it('reaches every page of every role without an HTTP error or a console error (a CSP refusal included)', () => {
    expect(visited.length).to.be.greaterThan(20);
    expect(errors, report(errors)).to.deep.equal([]);
  });

  it('shows no untranslated English on any page (codes, amounts, names and marked English excepted)', () => {
    expect(english, `English words:\n${report(english)}`).to.deep.equal([]);
  });

  it('has no serious or critical axe-core violation at 1280 px or at 390 px (colour contrast included)', () => {
    expect(a11y, `axe-core:\n${report(a11y)}`).to.deep.equal([]);
  });

  it('fits a 390 px phone: no sideways scrolling; lists become cards; the menu folds and opens by keyboard', async () => {
    expect(layout, report(layout)).to.deep.equal([]);
    const page = await newPage();
    await login(page, 'officer');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/households');
    const menu = page.locator('details.menu');
    expect(await menu.evaluate((d: HTMLDetailsElement) => d.open)).to.equal(false);
    expect(await page.locator('nav.main ul a').first().isVisible()).to.equal(false);
    const menuHeight = await page.locator('nav.main').evaluate((n) => n.getBoundingClientRect().height);
    expect(menuHeight, 'the folded menu is one line').to.be.below(60);
    await page.locator('details.menu > summary').focus();
    await page.keyboard.press('Enter');
    expect(await menu.evaluate((d: HTMLDetailsElement) => d.open)).to.equal(true);
    expect(await page.locator('nav.main ul a').first().isVisible()).to.equal(true);
    // A list row is a card: its cells stack, each with its header.
    const cell = page.locator('table.list tbody tr:first-child td[data-label]').nth(1);
    expect(await cell.evaluate((td) => getComputedStyle(td).display)).to.equal('grid');
    expect(await cell.evaluate((td) => getComputedStyle(td, '::before').content)).to.not.equal('none');
  });

  it('registers a household with the keyboard only (Tab to each field, type, Space, arrows, Enter)', async () => {
    const page = await newPage();
    await login(page, 'officer');
    await page.goto('/households/new');
    await page.keyboard.press('Tab'); // the skip link first
    /** Tabs forward (never the mouse) until the control with this id has the focus. */
    const tabTo = async (id: string) => {
      for (let i = 0; i < 150; i++) {
        if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`could not reach #${id} with Tab`);
    };
    const typeInto = async (id: string, text: string) => {
      await tabTo(id);
      await page.keyboard.press('Control+A');
      await page.keyboard.type(text);
    };
    await typeInto('f-headName', '键盘户');
    await typeInto('f-idNumber', validIdNumber());
    await typeInto('f-monthlyIncome', '1500.00');
    await typeInto('f-memberCount', '1');
    await tabTo('f-category');
    for (let i = 0; i < 5 && (await page.locator('#f-category').inputValue()) !== 'deep'; i++) await page.keyboard.press('ArrowDown');
    expect(await page.locator('#f-category').inputValue()).to.equal('deep');
    const illness = await page.locator('input[name=causes][value=illness]').getAttribute('id');
    await tabTo(illness!);
    await page.keyboard.press('Space');
    expect(await page.locator(`#${illness}`).isChecked()).to.equal(true);
    // "添加成员" reveals one member block (hidden blocks stay hidden until then).
    const visibleMembers = () => page.locator('[data-member-row]:visible').count();
    const before = await visibleMembers();
    const add = await page.locator('[data-add-member]').evaluate((b) => { b.id ||= 'add-member'; return b.id; });
    await tabTo(add);
    await page.keyboard.press('Enter');
    expect(await visibleMembers()).to.equal(before + 1);
    await typeInto(`f-m${before}_name`, '张小明');
    await typeInto(`f-m${before}_relation`, '子女');
    await page.keyboard.press('Enter'); // submits the form from a text field
    await page.waitForURL(/\/households\/\d+/);
    expect(await page.locator('h1').textContent()).to.include('键盘户');
  });
});
