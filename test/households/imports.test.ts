import { expect } from 'chai';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { api, adminToken, auditSeq, errorCode, userToken } from '../support/api';
import { appWith } from '../support/second-app';
import { testService } from '../support/env';
import { createHousehold, newIdNumber } from './support';
import { HOUSEHOLD_COLUMNS, MAIN_SHEET, MEMBER_COLUMNS, MEMBER_SHEET } from '../../src/households/imports-parse';

type Row = Partial<Record<'headName' | 'idNumber' | 'phone' | 'district' | 'unionOrg' | 'address' | 'monthlyIncome' | 'memberCount' | 'category' | 'cause' | 'otherCauses' | 'members' | 'notes', string | number>>;

const good = (over: Row = {}): Row => ({
  headName: '赵志刚', idNumber: newIdNumber(), phone: '13912345678', district: 'CY 朝阳区', unionOrg: '朝阳某厂工会', address: '朝阳区某路1号',
  monthlyIncome: 2400, memberCount: 1, category: '深度困难', cause: '疾病', ...over,
});

/** An .xlsx as a union's officer would fill the template: Chinese headers, rows, an optional members sheet. */
async function xlsx(rows: Row[], members: (string | number)[][] = []): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(MAIN_SHEET);
  const cols = HOUSEHOLD_COLUMNS.filter((c) => c.key !== 'members');
  ws.addRow(cols.map((c) => c.zh));
  for (const r of rows) ws.addRow(cols.map((c) => r[c.key as keyof Row] ?? null));
  ws.getColumn(2).numFmt = '@';
  if (members.length) {
    const ms = wb.addWorksheet(MEMBER_SHEET);
    ms.addRow(MEMBER_COLUMNS.map((c) => c.zh));
    for (const m of members) ms.addRow(m);
  }
  return Buffer.from(await wb.xlsx.writeBuffer()).toString('base64');
}

/** CSV text of the rows (members in the one-cell form), in the given encoding. */
function csv(rows: Row[], encoding: 'gbk' | 'utf-8' | 'utf-8-bom'): string {
  const quote = (v: unknown) => (v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const text = [HOUSEHOLD_COLUMNS.map((c) => c.zh).join(','), ...rows.map((r) => HOUSEHOLD_COLUMNS.map((c) => quote(r[c.key as keyof Row])).join(','))].join('\r\n');
  if (encoding === 'gbk') return iconv.encode(text, 'gbk').toString('base64');
  return Buffer.from((encoding === 'utf-8-bom' ? '\ufeff' : '') + text, 'utf8').toString('base64');
}

const preview = (token: string, contentBase64: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/households/imports', { token, body: { contentBase64, dryRun: true, ...extra } });
const runImport = (token: string, contentBase64: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/households/imports', { token, body: { contentBase64, ...extra } });

async function findByIdNumber(token: string, idNumber: string) {
  const r = await api('GET', `/households?q=${idNumber}`, { token });
  expect(r.status).to.equal(200);
  return r.body.items as { id: number; district: string; memberCount: number }[];
}

/** The public audit rows appended after seq. */
async function actionsAfter(seq: number): Promise<string[]> {
  const out: string[] = [];
  let after = seq;
  for (;;) {
    const r = await api('GET', `/public/log?after=${after}&limit=500`);
    expect(r.status).to.equal(200);
    const items = r.body.items as { seq: number; action: string }[];
    out.push(...items.map((i) => i.action));
    if (!r.body.nextCursor || !items.length) return out;
    after = items[items.length - 1]!.seq;
  }
}

const problemsOf = (body: { items: { row: number; problems: { column: string | null; field: string | null; messageZh: string; message: string }[] }[] }, row: number) =>
  body.items.find((i) => i.row === row)?.problems ?? [];

/** Household audit rows appended since seq (other domains' background jobs may append meanwhile). */
async function householdRowsSince(seq: number): Promise<string[]> {
  const log = await api('GET', `/public/log?after=${seq}&limit=500`);
  return (log.body.items as { action: string }[]).map((r) => r.action).filter((a) => a.startsWith('household.'));
}

describe('households: bulk import (POST /households/imports)', function () {
  this.timeout(120_000);
  let cy: { token: string; username: string }, hd: { token: string; username: string };

  before(async () => {
    [cy, hd] = await Promise.all([userToken(['officer'], 'CY'), userToken(['officer'], 'HD')]);
  });

  it('serves a template with Chinese headers, English beneath, an example row and drop-downs, which previews back with no problem', async () => {
    const res = await fetch(`${testService().url}/api/v1/households/imports/template`, { headers: { authorization: `Bearer ${cy.token}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.include('spreadsheetml');
    const bytes = Buffer.from(await res.arrayBuffer());
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(MAIN_SHEET)!;
    expect(ws.getRow(1).getCell(1).value).to.equal('户主姓名 *');
    expect(String(ws.getRow(2).getCell(1).value)).to.include('headName');
    expect(ws.getRow(3).getCell(4).value).to.equal('CY 朝阳区'); // the officer's own district in the example
    expect(wb.getWorksheet(MEMBER_SHEET)).to.not.equal(undefined);
    expect(wb.getWorksheet('说明')).to.not.equal(undefined);
    const validations = JSON.stringify((ws as unknown as { dataValidations: { model: unknown } }).dataValidations.model);
    for (const list of ["'选项'!$A$2", "'选项'!$B$2", "'选项'!$C$2"]) expect(validations).to.include(list);
    const options = wb.getWorksheet('选项')!;
    expect(options.getColumn(2).values).to.include('深度困难');

    const seq = await auditSeq();
    const back = await preview(cy.token, bytes.toString('base64'), { fileName: 'template.xlsx' });
    expect(back.status, back.text).to.equal(200);
    expect(back.body).to.include({ rows: 1, valid: 1, invalid: 0, problemCount: 0, format: 'xlsx' });
    expect(back.body.items[0]).to.include({ row: 3, headName: '张三', district: 'CY', members: 1, memberCount: 2 });
    expect(await householdRowsSince(seq)).to.deep.equal([]);
    expect((await api('GET', '/households/imports/template', { token: (await userToken(['auditor'])).token })).status).to.equal(403);
  });

  it('previews a good workbook without storing anything, then imports it: files, members, one audit row per file plus one for the import, and the import record', async () => {
    const rows = [good({ memberCount: 3 }), good({ headName: '钱秀英', category: '相对困难', cause: '失业', otherCauses: '疾病、子女就学', monthlyIncome: '1,800.50' }), good({ headName: '欧阳明', phone: '' })];
    const members = [[rows[0]!.idNumber as string, '李秀兰', '配偶', 45, '慢性病', '无业'], [rows[0]!.idNumber as string, '赵小明', '子女', 12, '', '在校']];
    const file = await xlsx(rows, members);
    const seq = await auditSeq();
    const pv = await preview(cy.token, file);
    expect(pv.status, pv.text).to.equal(200);
    expect(pv.body).to.include({ dryRun: true, rows: 3, valid: 3, invalid: 0, problemCount: 0 });
    expect(pv.body.items.map((i: { row: number }) => i.row)).to.deep.equal([2, 3, 4]);
    expect(await auditSeq(), 'a dry run writes nothing').to.equal(seq);
    expect(await findByIdNumber(cy.token, rows[0]!.idNumber as string)).to.have.length(0);

    const done = await runImport(cy.token, file, { fileName: '朝阳区困难职工.xlsx' });
    expect(done.status, done.text).to.equal(201);
    expect(done.body).to.include({ rows: 3, created: 3, skipped: 0 });
    const [f] = await findByIdNumber(cy.token, rows[0]!.idNumber as string);
    const full = (await api('GET', `/households/${f!.id}`, { token: cy.token })).body;
    expect(full.members.map((m: { name: string; relation: string; age: number; health?: string }) => [m.name, m.relation, m.age, m.health ?? null]))
      .to.deep.equal([['李秀兰', '配偶', 45, '慢性病'], ['赵小明', '子女', 12, null]]);
    expect(full.history[0].kind).to.equal('created');
    const second = (await api('GET', `/households/${(await findByIdNumber(cy.token, rows[1]!.idNumber as string))[0]!.id}`, { token: cy.token })).body;
    expect(second).to.include({ category: 'relative', monthlyIncome: '1800.50' });
    expect(second.causes).to.deep.equal(['unemployment', 'illness', 'education']);
    expect(await actionsAfter(seq)).to.deep.equal(['household.created', 'household.created', 'household.created', 'household.imported']);

    const rec = await api('GET', `/households/imports/${done.body.importId}`, { token: cy.token });
    expect(rec.status).to.equal(200);
    expect(rec.body).to.include({ fileName: '朝阳区困难职工.xlsx', rows: 3, created: 3, skipped: 0, onlyValid: false, format: 'xlsx', createdBy: cy.username });
    expect(rec.body.files.items.map((x: { row: number; headName: string }) => [x.row, x.headName])).to.deep.equal([[2, '赵志刚'], [3, '钱秀英'], [4, '欧阳明']]);
    const list = await api('GET', '/households/imports', { token: cy.token });
    expect(list.body.items.map((x: { id: number }) => x.id)).to.include(done.body.importId);
    // Another district's officer neither lists nor reads it.
    expect((await api('GET', `/households/imports/${done.body.importId}`, { token: hd.token })).status).to.equal(404);
    expect((await api('GET', '/households/imports', { token: hd.token })).body.items.map((x: { id: number }) => x.id)).not.to.include(done.body.importId);
    expect((await api('GET', `/households/imports/${done.body.importId}`, { token: (await userToken(['auditor'])).token })).status).to.equal(200);
  });

  it('names every problem by row and column: ID number, district, category, member count, duplicates in the file and against files, other districts', async () => {
    const mine = await createHousehold(cy.token);
    const theirs = await createHousehold(hd.token, { district: 'HD' });
    const dup = newIdNumber();
    const okRow = good();
    const v = newIdNumber();
    const badCheck = v.slice(0, 17) + (v[17] === '1' ? '2' : '1');
    const rows: Row[] = [
      okRow, // 2
      good({ idNumber: badCheck }), // 3: check digit
      good({ district: '火星区' }), // 4
      good({ category: '特别困难' }), // 5
      good({ memberCount: 4, members: '' }), // 6: with 1 member listed on the sheet
      good({ idNumber: dup }), // 7
      good({ idNumber: dup }), // 8
      good({ idNumber: mine.sent.idNumber }), // 9: a file of CY
      good({ idNumber: theirs.sent.idNumber }), // 10: a file of HD
      good({ district: 'HD 海淀区' }), // 11: not the officer's district
      good({ headName: '', monthlyIncome: '-5' }), // 12
    ];
    const file = await xlsx(rows, [[rows[4]!.idNumber as string, '李四', '配偶', 40, '', '']]);
    const seq = await auditSeq();
    const pv = await preview(cy.token, file);
    expect(pv.status, pv.text).to.equal(200);
    expect(pv.body).to.include({ rows: 11, valid: 1, invalid: 10 });
    const cols = (row: number) => problemsOf(pv.body, row).map((p) => p.column);
    expect(problemsOf(pv.body, 2)).to.deep.equal([]);
    expect(cols(3)).to.deep.equal(['身份证号']);
    expect(problemsOf(pv.body, 3)[0]!.messageZh).to.include('身份证号无效');
    expect(cols(4)).to.deep.equal(['所在区']);
    expect(problemsOf(pv.body, 4)[0]!.messageZh).to.include('火星区');
    expect(cols(5)).to.deep.equal(['困难类别']);
    expect(cols(6)).to.deep.equal(['家庭人口']);
    expect(problemsOf(pv.body, 6)[0]!.messageZh).to.include('家庭人口 4').and.include('1 名家庭成员');
    expect(problemsOf(pv.body, 7)[0]!.messageZh).to.equal('身份证号与文件第 8 行重复');
    expect(problemsOf(pv.body, 8)[0]!.messageZh).to.equal('身份证号与文件第 7 行重复');
    // An active file in the officer's own district is named; one elsewhere is not (as the 409 rule).
    expect(problemsOf(pv.body, 9)[0]!.messageZh).to.include(`档案 ${mine.id}`);
    expect(problemsOf(pv.body, 10)[0]!.messageZh).to.equal('该身份证号已有在档家庭，请联系市总工会核实');
    expect(JSON.stringify(problemsOf(pv.body, 10))).not.to.include(String(theirs.id)).and.not.to.include('HD');
    expect(cols(11)).to.deep.equal(['所在区']);
    expect(problemsOf(pv.body, 11)[0]!.messageZh).to.include('只能导入本区');
    expect(cols(12)).to.have.members(['户主姓名', '家庭月收入（元）']);

    // All-or-nothing: refused, nothing stored, no audit row.
    const refused = await runImport(cy.token, file);
    expect(refused.status).to.equal(422);
    expect(errorCode(refused)).to.equal('import_has_problems');
    expect(refused.body.error.details).to.include({ rows: 11, valid: 1, invalid: 10 });
    expect(await householdRowsSince(seq)).to.deep.equal([]);
    expect(await findByIdNumber(cy.token, okRow.idNumber as string)).to.have.length(0);
    expect(await findByIdNumber(cy.token, dup)).to.have.length(0);

    // onlyValid: the one good row, the others listed as skipped.
    const some = await runImport(cy.token, file, { onlyValid: true });
    expect(some.status, some.text).to.equal(201);
    expect(some.body).to.include({ rows: 11, created: 1, skipped: 10 });
    expect(some.body.skippedRows.map((s: { row: number }) => s.row)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await findByIdNumber(cy.token, okRow.idNumber as string)).to.have.length(1);
    expect(await findByIdNumber(cy.token, dup)).to.have.length(0);
    expect(await actionsAfter(seq)).to.deep.equal(['household.created', 'household.imported']);
    // The same file again: the imported row is now a duplicate of its own district's file.
    const again = await preview(cy.token, file);
    expect(problemsOf(again.body, 2)[0]!.messageZh).to.include('已有在档家庭');
  });

  it('reads GBK and UTF-8 (with or without BOM) CSV, members in one cell', async () => {
    for (const enc of ['gbk', 'utf-8', 'utf-8-bom'] as const) {
      const rows = [good({ headName: '诸葛亮', memberCount: 3, members: '黄月英/配偶/40/健康/务农；诸葛瞻/子女/8' }), good({ headName: '亓官', category: 'accidental', cause: 'disaster' })];
      const file = csv(rows, enc);
      const pv = await preview(cy.token, file);
      expect(pv.status, pv.text).to.equal(200);
      expect(pv.body, enc).to.include({ format: 'csv', encoding: enc === 'gbk' ? 'gbk' : 'utf-8', rows: 2, valid: 2, problemCount: 0 });
      expect(pv.body.items[0]).to.include({ headName: '诸葛亮', members: 2 });
      const done = await runImport(cy.token, file);
      expect(done.status, done.text).to.equal(201);
      const [f] = await findByIdNumber(cy.token, rows[0]!.idNumber as string);
      const full = (await api('GET', `/households/${f!.id}`, { token: cy.token })).body;
      expect(full.headName).to.equal('诸葛亮');
      expect(full.members.map((m: { name: string }) => m.name)).to.deep.equal(['黄月英', '诸葛瞻']);
    }
    // A broken member cell is a problem of its row and column.
    const pv = await preview(cy.token, csv([good({ members: '只有名字', memberCount: 2 })], 'utf-8'));
    expect(problemsOf(pv.body, 2).map((p) => p.column)).to.include('家庭成员');
  });

  it('lets an admin import into several districts; an officer only into their own', async () => {
    const admin = await adminToken();
    const rows = [good({ district: 'CY' }), good({ district: '海淀区' }), good({ district: 'DC' })];
    const file = await xlsx(rows);
    const byAdmin = await preview(admin, file);
    expect(byAdmin.body).to.include({ valid: 3 });
    const byHd = await preview(hd.token, file);
    expect(byHd.body).to.include({ valid: 1, invalid: 2 });
    expect(byHd.body.items.filter((i: { valid: boolean }) => i.valid).map((i: { district: string }) => i.district)).to.deep.equal(['HD']);
    const done = await runImport(admin, file);
    expect(done.status, done.text).to.equal(201);
    expect(done.body.districts).to.deep.equal(['CY', 'DC', 'HD']);
    expect((await findByIdNumber(admin, rows[1]!.idNumber as string))[0]!.district).to.equal('HD');
    // Auditors and finance do not import.
    expect((await preview((await userToken(['auditor'])).token, file)).status).to.equal(403);
    expect((await api('GET', '/households/imports', { token: (await userToken(['finance'])).token })).status).to.equal(403);
  });

  it('refuses more rows than HOUSEHOLD_IMPORT_MAX_ROWS and a file over 10 MB with 413, and junk with 4xx, storing nothing', async () => {
    const small = await appWith({ householdImportMaxRows: 3 });
    try {
      const seq = await auditSeq();
      const file = await xlsx([good(), good(), good(), good()]);
      const res = await fetch(`${small.url}/households/imports`, { method: 'POST', headers: { authorization: `Bearer ${cy.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ contentBase64: file }) });
      const body = await res.json() as { error: { code: string; details: { maxRows: number; rows: number }; messageZh: string } };
      expect(res.status).to.equal(413);
      expect(body.error.code).to.equal('payload_too_large');
      expect(body.error.details).to.deep.equal({ maxRows: 3, rows: 4 });
      expect(body.error.messageZh).to.include('最多导入 3 行');
      expect(await householdRowsSince(seq)).to.deep.equal([]);
    } finally {
      small.close();
    }
    const big = await preview(cy.token, Buffer.alloc(10_000_001, 0x41).toString('base64'));
    expect(big.status).to.equal(413);
    expect(errorCode(big)).to.equal('payload_too_large');
    const junk = await preview(cy.token, Buffer.from('not a table at all\n1,2,3').toString('base64'));
    expect(junk.status).to.equal(200);
    expect(junk.body.rows).to.equal(0);
    expect(junk.body.fileProblems[0].messageZh).to.include('导入模板');
    const junkImport = await runImport(cy.token, Buffer.from('PK\u0003\u0004garbage').toString('base64'));
    expect(junkImport.status).to.equal(422);
    expect(errorCode(junkImport)).to.equal('import_has_problems');
    expect((await api('POST', '/households/imports', { token: cy.token, body: { contentBase64: 'not base64!' } })).status).to.equal(400);
    expect((await api('POST', '/households/imports', { token: cy.token, body: { contentBase64: file64(), dryRun: 'yes' } })).status).to.equal(400);
  });
});

const file64 = () => Buffer.from('户主姓名,身份证号\n').toString('base64');
