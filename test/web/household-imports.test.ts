import { expect } from 'chai';
import { api, userToken } from '../support/api';
import { validIdNumber } from '../support/fixtures';
import { PageClient as Browser } from '../support/browser';
import { HOUSEHOLD_COLUMNS } from '../../src/households/imports-parse';

const textOf = (h: string) => h.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

/** CSV text with the template's Chinese headers. */
function csvText(rows: Record<string, string>[]) {
  return [HOUSEHOLD_COLUMNS.map((c) => c.zh).join(','), ...rows.map((r) => HOUSEHOLD_COLUMNS.map((c) => r[c.key] ?? '').join(','))].join('\n');
}
const row = (over: Record<string, string> = {}) => ({
  headName: '孙丽华', idNumber: validIdNumber(), district: 'CY', monthlyIncome: '1800', memberCount: '1', category: '深度困难', cause: '疾病', ...over,
});

describe('web console: bulk import of household files (/household-imports)', function () {
  this.timeout(60_000);

  it('uploads, previews with the problem cells marked in Chinese, imports the valid rows on confirmation and shows the record', async () => {
    const officer = await userToken(['officer'], 'CY');
    const b = await Browser.as(officer.username);
    const start = await b.get('/household-imports');
    expect(start.status).to.equal(200);
    expect(textOf(start.text)).to.include('批量导入家庭档案').and.include('下载导入模板');

    const tpl = await b.req('GET', '/household-imports/template.xlsx');
    expect(tpl.status).to.equal(200);
    expect(tpl.type).to.include('spreadsheetml');

    const good = row();
    const bad = row({ headName: '周建', district: 'HD', category: '特困' });
    const pv = await b.post('/household-imports/preview', { content: csvText([good, bad]), fileName: '测试.csv' });
    expect(pv.status).to.equal(200);
    const text = textOf(pv.text);
    expect(pv.text).to.match(/<dd id="preview-rows">2<\/dd>/);
    expect(pv.text).to.match(/<dd id="preview-valid">1<\/dd>/);
    // The two problem cells of row 3 are marked, each with its Chinese reason.
    expect(pv.text.match(/<mark class="cell-problem">/g)?.length).to.equal(2);
    expect(text).to.include('只能导入本区').and.include('困难类别“特困”不存在');
    expect(pv.text).to.include('全部导入（有问题则不导入）').and.include('只导入无问题的行');
    expect((await api('GET', `/households?q=${good.idNumber}`, { token: officer.token })).body.items).to.have.length(0);

    // Confirm: only the valid rows.
    const b64 = /name="contentBase64" value="([^"]+)"/.exec(pv.text.slice(pv.text.indexOf('action="/household-imports/import"')))![1]!;
    b.csrf = b.csrfOf(pv.text);
    const done = await b.post('/household-imports/import', { contentBase64: b64, fileName: '测试.csv', onlyValid: 'true' });
    const rec = await b.follow(done);
    expect(rec.url).to.match(/^\/household-imports\/\d+\?done=imported$/);
    expect(rec.text).to.match(/<dd id="import-created">1<\/dd>/);
    expect(textOf(rec.text)).to.include('孙丽华').and.include('测试.csv').and.include('行 3');
    expect((await api('GET', `/households?q=${good.idNumber}`, { token: officer.token })).body.items).to.have.length(1);

    // All rows: refused with the reason, nothing imported.
    const again = row();
    const pv2 = await b.post('/household-imports/preview', { content: csvText([again, bad]) });
    b.csrf = b.csrfOf(pv2.text);
    const b64b = /name="contentBase64" value="([^"]+)"/.exec(pv2.text.slice(pv2.text.indexOf('action="/household-imports/import"')))![1]!;
    const refused = await b.post('/household-imports/import', { contentBase64: b64b });
    expect(refused.status).to.equal(422);
    expect(textOf(refused.text)).to.include('未导入任何档案');
    expect((await api('GET', `/households?q=${again.idNumber}`, { token: officer.token })).body.items).to.have.length(0);
  });

  it('shows auditors the record without the upload form, and keeps finance out', async () => {
    const auditor = await userToken(['auditor']);
    const page = await (await Browser.as(auditor.username)).get('/household-imports');
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include('action="/household-imports/preview"');
    const finance = await userToken(['finance']);
    expect((await (await Browser.as(finance.username)).get('/household-imports')).status).to.equal(403);
  });
});
