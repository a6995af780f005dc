import crypto from 'node:crypto';
import { expect } from 'chai';
import iconv from 'iconv-lite';
import { api, auditSeq } from '../support/api';
import { testService } from '../support/env';
import { PageClient as Browser } from '../support/browser';
import { funds, household, people, today, waitPayable } from '../campaigns/support';

const DISTRICTS = ['PG', 'HR'];

/** The text a person reads (tags dropped, entities decoded enough for the checks). */
const textOf = (h: string) => h.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');

/**
 * English words a person would see on a Chinese page, as the browser walk counts them (test/web/walk.browser.test.ts):
 * text outside elements marked lang="en", class="en", translate="no" or aria-hidden, words without digits, not all
 * capitals (codes), not paths; placeholders, aria-labels and titles too.
 */
function englishWords(page: string): string[] {
  const out = new Set<string>();
  const check = (text: string) => {
    for (const token of text.split(/\s+/)) {
      if (!token || /\d/.test(token) || /^\/|:\/\//.test(token)) continue;
      for (const w of token.split(/[^A-Za-z]+/)) if (w.length >= 2 && w !== w.toUpperCase() && !['Excel', 'xls', 'xlsx', 'csv'].includes(w)) out.add(w);
    }
  };
  const body = page.slice(page.indexOf('<body'));
  const VOID = new Set(['input', 'br', 'img', 'meta', 'link', 'hr', 'rect', 'path', 'source']);
  const stack: boolean[] = [];
  const re = /<(\/?)([a-zA-Z0-9]+)([^>]*?)(\/?)>|([^<]+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const skipping = stack.some(Boolean);
    if (m[5] !== undefined) {
      if (!skipping) check(m[5].replace(/&[a-z#0-9]+;/g, ' '));
      continue;
    }
    const [, close, tag, attrs, selfClose] = m;
    const name = tag!.toLowerCase();
    if (close) { stack.pop(); continue; }
    const skip = /\blang="en|class="[^"]*\ben\b|translate="no"|aria-hidden="true"/.test(attrs!) || name === 'script' || name === 'style';
    if (!skipping && !skip) for (const a of ['placeholder', 'aria-label', 'title', 'alt']) check(new RegExp(`${a}="([^"]*)"`).exec(attrs!)?.[1] ?? '');
    if (!VOID.has(name) && !selfClose) stack.push(skip);
  }
  return [...out].sort();
}

async function visit(b: Browser, path: string, status = 200) {
  const r = await b.get(path);
  expect(r.status, `${path}: ${r.text.slice(0, 400)}`).to.equal(status);
  if (status === 200) expect(englishWords(r.text), `untranslated English on ${path}`).to.deep.equal([]);
  return r;
}

describe('web console: relief campaign pages', function () {
  this.timeout(120_000);
  let p: Awaited<ReturnType<typeof people>>;
  let tree: { root: string; funds: Record<string, string> };
  const b: Record<string, Browser> = {};
  let id = 0;

  before(async () => {
    p = await people(DISTRICTS);
    tree = await funds(p.finance.token, DISTRICTS, '300000.00');
    await household(p.officers.PG!.token, 'PG', { headName: '慕容秋水', category: 'deep', memberCount: 2, causes: ['illness'] });
    await household(p.officers.HR!.token, 'HR', { headName: '端木青山', category: 'relative', memberCount: 1, causes: ['other'] });
    for (const [k, u] of [['city', p.city], ['pg', p.officers.PG!], ['hr', p.officers.HR!], ['approver', p.approver1], ['finance', p.finance], ['auditor', p.auditor]] as const) b[k] = await Browser.as(u.username);
  });

  it('creates a campaign through the form (rules, add-ons, cap, eligibility, quotas, funds); a refusal is shown in Chinese and writes nothing', async () => {
    const form = await visit(b.city!, '/campaigns/new');
    expect(form.text).to.include('name="rules.perCategory.deep"').and.include('name="rules.cap"').and.include('name="quotas.PG"');
    const fields = {
      name: '网页测试送温暖', kind: 'new_year_spring', year: today().slice(0, 4), funds: [tree.funds.PG!, tree.funds.HR!],
      'rules.perCategory.deep': '800.00', 'rules.perCategory.relative': '500.00', 'rules.perAdditionalMember': '100.00', 'rules.perCause.illness': '200.00',
      'eligibility.statuses': ['registered', 'assisted', 'returned'], 'eligibility.districts': DISTRICTS, 'quotas.PG': '500',
    };
    // No cap: the API refuses (400); the page says so in Chinese at the field, and nothing is written.
    const seq = await auditSeq();
    const refused = await b.city!.post('/campaigns/new', fields);
    expect(refused.status).to.equal(400);
    expect(textOf(refused.text)).to.include('请修改标出的字段');
    expect(refused.text).to.match(/has-error[\s\S]{0,200}f-rules-cap/);
    expect(await auditSeq()).to.equal(seq);
    // A base above the cap: 422 with the service's Chinese sentence first.
    const above = await b.city!.post('/campaigns/new', { ...fields, 'rules.cap': '700.00' });
    expect(above.status).to.equal(422);
    expect(textOf(above.text)).to.include('基本金额高于每户封顶');
    const made = await b.city!.follow(await b.city!.post('/campaigns/new', { ...fields, 'rules.cap': '1000.00' }));
    id = Number(/\/campaigns\/(\d+)/.exec(made.url)![1]);
    expect(textOf(made.text)).to.include('网页测试送温暖').and.include('草稿').and.include('深度困难 ¥800.00').and.include('平谷 500');
    const c = (await api('GET', `/campaigns/${id}`, { token: p.city.token })).body;
    expect(c.rules).to.deep.include({ cap: '1000.00', perAdditionalMember: '100.00' });
    expect(c.rules.perCause).to.deep.equal({ illness: '200.00' });
    expect(c.quotas).to.deep.equal({ PG: 500 });
  });

  it('builds the roll after a preview of what changes, and officers review their own district’s lines only', async () => {
    const preview = await b.city!.post(`/campaigns/${id}/roll`, { dryRun: 'true' });
    expect(preview.status).to.equal(200);
    expect(textOf(preview.text)).to.include('预览：尚未保存').and.include('慕**水');
    expect(englishWords(preview.text)).to.deep.equal([]);
    expect((await api('GET', `/campaigns/${id}`, { token: p.city.token })).body.status).to.equal('draft');
    const built = await b.city!.post(`/campaigns/${id}/roll`, { dryRun: 'false' });
    expect(textOf(built.text)).to.include('名单已生成');
    expect((await api('GET', `/campaigns/${id}`, { token: p.city.token })).body.status).to.equal('built');

    const pgLines = await visit(b.pg!, `/campaigns/${id}/lines`);
    expect(textOf(pgLines.text)).to.include('慕**水').and.not.include('端**山');
    const lines = (await api('GET', `/campaigns/${id}/lines?limit=500`, { token: p.city.token })).body.items as { lineNo: number; district: string; maskedName: string }[];
    const pgLine = lines.find((l) => l.maskedName === '慕**水')!;
    const hrLine = lines.find((l) => l.maskedName === '端**山')!;
    expect(pgLines.text).to.include(`action="/campaigns/${id}/lines/${pgLine.lineNo}/review"`);
    expect(pgLines.text).not.to.include(`action="/campaigns/${id}/lines/${hrLine.lineNo}/review"`);
    // An adjustment above the cap is refused, in Chinese, beside the line.
    const high = await b.pg!.post(`/campaigns/${id}/lines/${pgLine.lineNo}/review`, { action: 'adjust', amount: '5000.00', reason: '核实' });
    expect(high.status).to.equal(422);
    expect(textOf(high.text)).to.include('超过每户封顶');
    // Another district's line, posted by hand, is refused by the API (403) and stays as it was.
    const other = await b.pg!.post(`/campaigns/${id}/lines/${hrLine.lineNo}/review`, { action: 'exclude', reason: '不符' });
    expect(other.status).to.equal(403);
    const back = await b.pg!.follow(await b.pg!.post(`/campaigns/${id}/lines/${pgLine.lineNo}/review`, { action: 'adjust', amount: '900.00', reason: '按实际人口调整', back: `/campaigns/${id}/lines` }));
    expect(textOf(back.text)).to.include('900.00').and.include('按实际人口调整');
    const after = (await api('GET', `/campaigns/${id}/lines?limit=500`, { token: p.city.token })).body.items as { lineNo: number; amount: string; status: string }[];
    expect(after.find((l) => l.lineNo === pgLine.lineNo)!.amount).to.equal('900.00');
    expect(after.find((l) => l.lineNo === hrLine.lineNo)!.status).to.equal('included');
  });

  it('submit and approve: the maker-checker rule is shown, the maker gets no approval form, an approver approves', async () => {
    await b.city!.follow(await b.city!.post(`/campaigns/${id}/submit`, {}));
    const page = await visit(b.approver!, `/campaigns/${id}`);
    expect(textOf(page.text)).to.include('编制、生成、复核明细或提交名单的人不得审批该名单');
    expect(page.text).to.include(`action="/campaigns/${id}/approve"`);
    const makerView = await visit(b.city!, `/campaigns/${id}`);
    expect(makerView.text).not.to.include(`action="/campaigns/${id}/approve"`);
    const done = await b.approver!.follow(await b.approver!.post(`/campaigns/${id}/approve`, { note: '同意' }));
    expect(textOf(done.text)).to.include('公示中');
  });

  it('the public notice board shows the roll masked with an objection per line', async () => {
    const anon = new Browser();
    const board = await visit(anon, '/notices');
    expect(textOf(board.text)).to.include('公示中的送温暖名单').and.include('网页测试送温暖');
    const roll = await visit(anon, `/notices/campaigns/${id}`);
    const t = textOf(roll.text);
    expect(t).to.include('慕**水').and.include('平谷').and.include('深度困难');
    expect(t).not.to.include('慕容秋水');
    const m = new RegExp(`/notices/campaigns/${id}/lines/(\\d+)/objection`).exec(roll.text)!;
    const form = await visit(anon, m[0]);
    expect(form.text).to.include('name="text"');
    const filed = await anon.follow(await anon.post(m[0], { text: '该户已搬离本市' }));
    expect(textOf(filed.text)).to.include('异议已收到');
    // Resolved by an approver who made nothing of the roll (the one who approved may not).
    const c = (await api('GET', `/campaigns/${id}`, { token: p.city.token })).body;
    const oid = c.objections[0].id as number;
    const mine = await visit(b.approver!, `/campaigns/${id}`);
    expect(mine.text).not.to.include(`/objections/${oid}/resolve`);
    const other = await Browser.as(p.approver2.username);
    await other.get(`/campaigns/${id}`);
    await other.follow(await other.post(`/campaigns/${id}/objections/${oid}/resolve`, { outcome: 'dismissed', note: '经核实仍在本市' }));
  });

  it('finance pays, downloads the bank file and uploads the result; progress and the dashboard follow', async () => {
    await waitPayable(p.city.token, id);
    const page = await visit(b.finance!, `/campaigns/${id}`);
    expect(page.text).to.include(`action="/campaigns/${id}/pay"`);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.text)![1]!;
    const paid = await b.finance!.post(`/campaigns/${id}/pay`, { date: today(), idempotencyKey: key });
    expect(paid.status).to.equal(200);
    expect(textOf(paid.text)).to.include('本次发放户数');
    const csv = await b.finance!.req('GET', `/campaigns/${id}/bank-file.csv`);
    expect(csv.status).to.equal(200);
    const bytes = Buffer.from(await (await fetch(testService().url + `/campaigns/${id}/bank-file.csv`, { headers: { cookie: [...b.finance!.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })).arrayBuffer());
    const text = iconv.decode(bytes, 'gbk');
    expect(text.split('\r\n')[0]).to.equal('序号,收款账号,收款户名,开户行,金额,附言');
    const refs = text.trim().split('\r\n').slice(1).map((r) => r.split(',')[5]!.split(' ')[0]!);
    expect(refs.length).to.be.at.least(2);
    // The result file: the first line failed, the others succeeded (multipart, CSRF token in the action).
    const result = ['附言,状态,失败原因', ...refs.map((r, i) => `${r},${i === 0 ? '失败' : '成功'},${i === 0 ? '户名不符' : ''}`)].join('\r\n');
    const campaignPage = await b.finance!.get(`/campaigns/${id}`);
    const action = /action="(\/campaigns\/\d+\/bank-results\?_csrf=[^"]+)"/.exec(campaignPage.text)![1]!.replace(/&amp;/g, '&');
    const fd = new FormData();
    fd.append('idempotencyKey', crypto.randomUUID());
    fd.append('file', new Blob([new Uint8Array(iconv.encode(result, 'gbk'))]), 'result.csv');
    const cookie = [...b.finance!.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const up = await fetch(testService().url + action, { method: 'POST', body: fd, headers: { cookie }, redirect: 'manual' });
    const upText = await up.text();
    expect(up.status, upText.slice(0, 500)).to.equal(200);
    expect(textOf(upText)).to.include('代发结果已导入').and.include('户名不符');
    // Without the token the upload is refused before anything is read.
    const noToken = await fetch(testService().url + `/campaigns/${id}/bank-results`, { method: 'POST', body: fd, headers: { cookie } });
    expect(noToken.status).to.equal(403);
    const progress = await visit(b.auditor!, `/campaigns/${id}/progress`);
    expect(textOf(progress.text)).to.include('银行退回').and.include('平谷').and.include('深度困难');
    const dash = await visit(b.finance!, '/dashboard');
    expect(textOf(dash.text)).to.include('送温暖活动');
    const returned = await visit(b.finance!, `/campaigns/${id}/lines?payState=returned`);
    expect(returned.text).to.include('/cash"');
  });

  it('each page for the right roles only', async () => {
    for (const path of ['/campaigns', `/campaigns/${id}`, `/campaigns/${id}/lines`, `/campaigns/${id}/progress`]) {
      for (const who of ['pg', 'approver', 'finance', 'auditor'] as const) await visit(b[who]!, path);
      const anon = await new Browser().get(path);
      expect(anon.status, path).to.equal(303);
      expect(anon.location).to.match(/^\/login/);
    }
    for (const who of ['approver', 'finance', 'auditor'] as const) expect((await b[who]!.get('/campaigns/new')).status, who).to.equal(403);
    expect((await b.pg!.req('GET', `/campaigns/${id}/bank-file.csv`)).status).to.equal(403);
    expect((await b.city!.get('/campaigns/abc')).status).to.equal(404);
    const en = await b.pg!.get(`/campaigns/${id}?lang=en`);
    expect(en.text).to.include('Relief campaign');
  });
});
