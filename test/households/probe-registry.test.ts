import { expect } from 'chai';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import zlib from 'node:zlib';
import { api, auditActionsSince, auditSeq, errorCode, userToken, type ApiResponse } from '../support/api';
import { createHousehold, newIdNumber } from './support';
import { idCheckChar, idNumberProblem } from '../../src/households/model';
import { HOUSEHOLD_COLUMNS } from '../../src/households/imports-parse';
import { addDays, shanghaiDate } from '../../src/platform/clock';

// Outside checks of the bulk import and home visits (issue 18): files as offices really export them, and
// inputs nobody listed. Every answer is a 2xx or a clear 4xx JSON error (never a 500), and nothing is half-written.

type Cell = string | number | Date | null;
const HEAD = HOUSEHOLD_COLUMNS.map((c) => c.zh);
const row = (over: Partial<Record<string, Cell>> = {}): Cell[] => {
  const v: Record<string, Cell> = {
    headName: '钱多多', idNumber: newIdNumber(), phone: '13912345678', district: 'CY', unionOrg: '', address: '', monthlyIncome: '2400',
    memberCount: '1', category: '深度困难', cause: '疾病', otherCauses: '', members: '', notes: '', ...over,
  };
  return HOUSEHOLD_COLUMNS.map((c) => v[c.key] ?? '');
};
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
const csvText = (rows: Cell[][], sep = ',', eol = '\r\n') => [HEAD.join(sep), ...rows.map((r) => r.map((c) => String(c ?? '')).join(sep))].join(eol) + eol;

const send = (token: string, contentBase64: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/households/imports', { token, body: { contentBase64, ...extra } });

/** A clear error: 4xx, the design's shape. */
function clearError(r: ApiResponse, status: number, code?: string) {
  expect(r.status, r.text.slice(0, 400)).to.equal(status);
  const c = errorCode(r);
  if (code) expect(c).to.equal(code);
  expect(r.body.error.messageZh, 'messageZh').to.be.a('string');
}

const householdActions = (seq: number) => auditActionsSince(seq, 'household.');

const activeFiles = async (token: string, idNumber: string) =>
  ((await api('GET', `/households?q=${idNumber}`, { token })).body.items as { id: number; status: string }[]).filter((h) => h.status !== 'archived');

/** A valid ID number that a spreadsheet's number cell turns into another valid ID number (a silent wrong import). */
function idThatRoundsToAnotherValidOne(): { typed: string; stored: string } {
  for (let n = 0; ; n++) {
    const first17 = `110105198001${String(10 + (n % 18)).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
    const typed = first17 + idCheckChar(first17);
    if (/X$/.test(typed)) continue;
    const stored = BigInt(Number(typed)).toString();
    if (stored !== typed && idNumberProblem(stored) === null) return { typed, stored };
  }
}

describe('probe: household bulk import and home visits with real-world input', function () {
  this.timeout(180_000);
  let cy: string, hd: string, approverCY: string;

  before(async () => {
    [cy, hd, approverCY] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'HD').then((u) => u.token), userToken(['approver'], 'CY').then((u) => u.token),
    ]);
  });

  it('reads a WPS/LibreOffice-style workbook: extra sheets first, a merged title row, merged header cells, number and date cells, trailing empty rows', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('封面').addRow(['2026 年困难职工家庭档案']);
    wb.addWorksheet('统计').addRow(['合计', 3]);
    const ws = wb.addWorksheet('Sheet1');
    ws.addRow(['朝阳区总工会困难职工家庭档案（2026 年）']);
    ws.mergeCells(1, 1, 1, HEAD.length);
    ws.addRow(HEAD);
    ws.addRow(HEAD.map(() => ''));
    ws.mergeCells(2, 1, 3, 1); // the header cell 户主姓名 over two rows, as offices format it
    const id1 = newIdNumber(), id2 = newIdNumber();
    ws.addRow(row({ idNumber: id1, monthlyIncome: 2400.5, memberCount: 1, phone: 13912345678, notes: new Date(Date.UTC(2025, 0, 5)) }));
    const serial = ws.addRow(row({ idNumber: id2, monthlyIncome: 0.1 + 0.2, memberCount: 1, notes: 45000 }));
    serial.getCell(HEAD.length).numFmt = 'yyyy-mm-dd';
    for (let i = 0; i < 50; i++) ws.addRow(HEAD.map(() => '')).getCell(1).value = ' ';
    ws.getCell(`A${ws.rowCount + 20}`).numFmt = '@'; // formatting far below the data
    const content = b64(Buffer.from(await wb.xlsx.writeBuffer()));
    const p = await send(cy, content, { dryRun: true });
    expect(p.status, p.text).to.equal(200);
    expect(p.body).to.include({ rows: 2, valid: 2, invalid: 0 });
    const seq = await auditSeq();
    const r = await send(cy, content);
    expect(r.status, r.text).to.equal(201);
    expect(r.body.created).to.equal(2);
    expect(await householdActions(seq)).to.deep.equal(['household.created', 'household.created', 'household.imported']);
    const [h2] = await activeFiles(cy, id2);
    const got = await api('GET', `/households/${h2!.id}`, { token: cy });
    expect(got.body.monthlyIncome).to.equal('0.30');
    expect(got.body.notes).to.equal('2023-03-15');
  });

  it('refuses an ID number a spreadsheet stored as a number (its last digits lost) with a clear message, never importing the rounded one', async () => {
    const { typed, stored } = idThatRoundsToAnotherValidOne();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('家庭档案');
    ws.addRow(HEAD);
    ws.addRow(row({ idNumber: Number(typed) })); // a number cell: Excel keeps 15 digits
    ws.addRow(row({ idNumber: '1.1010519491231e+17' })); // the text such a cell shows once copied
    const content = b64(Buffer.from(await wb.xlsx.writeBuffer()));
    const p = await send(cy, content, { dryRun: true });
    expect(p.status, p.text).to.equal(200);
    expect(p.body.valid).to.equal(0);
    for (const item of p.body.items as { problems: { field: string; messageZh: string; message: string }[] }[]) {
      const idp = item.problems.find((x) => x.field === 'idNumber');
      expect(idp, JSON.stringify(item)).to.not.equal(undefined);
      expect(idp!.messageZh).to.match(/文本/);
      expect(idp!.message).to.match(/number/i);
    }
    const seq = await auditSeq();
    const r = await send(cy, content, { onlyValid: true });
    clearError(r, 422, 'import_has_problems');
    expect(await householdActions(seq)).to.deep.equal([]);
    expect(await activeFiles(cy, stored)).to.deep.equal([]);
    // A CSV opened and saved by Excel shows the number in scientific notation.
    const csv = await send(cy, b64(csvText([row({ idNumber: '1.10105E+17' })])), { dryRun: true });
    expect(csv.status).to.equal(200);
    expect(csv.body.items[0].problems.find((x: { field: string }) => x.field === 'idNumber').messageZh).to.match(/文本/);
  });

  it('takes ID numbers with full-width digits, spaces and a lower-case x, stored as the 18 plain characters', async () => {
    const x = newIdNumber({ check: 'X' });
    const wide = newIdNumber();
    const fullWidth = wide.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    const spaced = newIdNumber();
    const rows = [
      row({ idNumber: x.toLowerCase() }),
      row({ idNumber: `${fullWidth.slice(0, 6)}　${fullWidth.slice(6)}` }), // a full-width space too
      row({ idNumber: ` ${spaced.slice(0, 6)} ${spaced.slice(6, 14)} ${spaced.slice(14)} ` }),
      row({ idNumber: x.slice(0, 17) + 'ｘ', headName: '重复' }), // full-width x of the first row: the same number
    ];
    const p = await send(cy, b64(csvText(rows)), { dryRun: true });
    expect(p.status, p.text).to.equal(200);
    expect(p.body.items.map((i: { idNumber: string }) => i.idNumber)).to.deep.equal([x, wide, spaced, x]);
    expect(p.body.items.map((i: { valid: boolean }) => i.valid)).to.deep.equal([false, true, true, false]); // rows 1 and 4 duplicate each other
    const r = await send(cy, b64(csvText(rows.slice(0, 3))));
    expect(r.status, r.text).to.equal(201);
    for (const id of [x, wide, spaced]) expect(await activeFiles(cy, id)).to.have.length(1);
  });

  it('reads a BOM-less GBK CSV with Windows line endings, and a semicolon-separated one', async () => {
    const gbkId = newIdNumber(), semiId = newIdNumber();
    const gbk = iconv.encode(csvText([row({ idNumber: gbkId, headName: '欧阳娜娜', address: '朝阳区·望京' })]), 'gbk');
    expect(gbk[0]).to.not.equal(0xef);
    const g = await send(cy, b64(gbk), { dryRun: true });
    expect(g.status, g.text).to.equal(200);
    expect(g.body).to.include({ encoding: 'gbk', rows: 1, valid: 1 });
    expect(g.body.items[0].headName).to.equal('欧阳娜娜');
    const s = await send(cy, b64(csvText([row({ idNumber: semiId, otherCauses: '残疾、失业' })], ';', '\r\n')), { dryRun: true });
    expect(s.status, s.text).to.equal(200);
    expect(s.body).to.include({ rows: 1, valid: 1 });
  });

  it('answers a CSV of headers only, a PDF renamed .xlsx, a wrong encoding and broken base64 with clear answers and stores nothing', async () => {
    const seq = await auditSeq();
    const headersOnly = b64(csvText([]));
    const p = await send(cy, headersOnly, { dryRun: true });
    expect(p.status, p.text).to.equal(200);
    expect(p.body.rows).to.equal(0);
    clearError(await send(cy, headersOnly), 422, 'import_has_problems');
    clearError(await send(cy, headersOnly, { onlyValid: true }), 422, 'import_has_problems');

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x01\x02\xff\xfe binary\n%%EOF\n', 'latin1');
    const asXlsx = await send(cy, b64(pdf), { fileName: '档案.xlsx', dryRun: true });
    expect(asXlsx.status, asXlsx.text).to.be.within(200, 499);
    if (asXlsx.status === 200) expect(asXlsx.body.fileProblems.length).to.be.greaterThan(0);
    clearError(await send(cy, b64(pdf), { fileName: '档案.xlsx' }), 422);

    clearError(await send(cy, b64(csvText([row()])), { encoding: 'latin1' }), 400, 'validation_failed');
    clearError(await send(cy, b64(csvText([row()])), { encoding: 'GBK ' }), 400, 'validation_failed');
    clearError(await send(cy, 'not base64 at all!!'), 400, 'validation_failed');
    clearError(await send(cy, ''), 400, 'validation_failed');
    clearError(await send(cy, 'QUJD=QUJD'), 400, 'validation_failed');
    clearError(await send(cy, 'Q'), 400, 'validation_failed');
    clearError(await send(cy, b64(csvText([row()])), { dryRun: 'yes' }), 400, 'validation_failed');
    expect(await householdActions(seq)).to.deep.equal([]);
  });

  it('takes base64 wrapped in lines (as `base64` and mail programs write it)', async () => {
    const id = newIdNumber();
    const wrapped = b64(csvText([row({ idNumber: id })])).replace(/(.{76})/g, '$1\n');
    expect(wrapped).to.include('\n');
    const r = await send(cy, wrapped, { dryRun: true });
    expect(r.status, r.text).to.equal(200);
    expect(r.body).to.include({ rows: 1, valid: 1 });
    const crlf = await send(cy, b64(csvText([row({ idNumber: id })])).replace(/(.{64})/g, '$1\r\n'), { dryRun: true });
    expect(crlf.status, crlf.text).to.equal(200);
  });

  it('refuses a zip bomb-like .xlsx (a tiny file that unpacks to hundreds of MB) without reading it', async () => {
    // One stored entry whose central directory declares 500 MB: the guard refuses it before SheetJS unpacks.
    const data = zlib.deflateRawSync(Buffer.alloc(1024 * 1024));
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(500_000_000, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20); central.writeUInt32LE(500_000_000, 24); central.writeUInt16LE(name.length, 28);
    const body = Buffer.concat([local, name, data]);
    const eocd = Buffer.alloc(22); eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(46 + name.length, 12); eocd.writeUInt32LE(body.length, 16);
    const zip = Buffer.concat([body, central, name, eocd]);
    const seq = await auditSeq();
    const p = await send(cy, b64(zip), { dryRun: true });
    expect(p.status, p.text).to.be.within(200, 499);
    if (p.status === 200) expect(p.body.fileProblems[0].message).to.match(/unpacks to more than/);
    clearError(await send(cy, b64(zip)), 422);
    // A corrupt zip (the magic, then junk).
    const junk = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(2000, 0x41)]);
    const j = await send(cy, b64(junk), { dryRun: true });
    expect(j.status, j.text).to.be.within(200, 499);
    expect(await householdActions(seq)).to.deep.equal([]);
  });

  it('onlyValid with every row invalid is a 422 that writes nothing; the same file twice: the second is all duplicates', async () => {
    const seq = await auditSeq();
    const bad = b64(csvText([row({ idNumber: '110105198001010000' }), row({ district: 'HD' }), row({ memberCount: '0' })]));
    const r = await send(cy, bad, { onlyValid: true });
    clearError(r, 422, 'import_has_problems');
    expect(r.body.error.details).to.include({ rows: 3, valid: 0, invalid: 3 });
    expect(await householdActions(seq)).to.deep.equal([]);

    const ids = [newIdNumber(), newIdNumber()];
    const file = b64(csvText(ids.map((idNumber) => row({ idNumber }))));
    const first = await send(cy, file);
    expect(first.status, first.text).to.equal(201);
    const seq2 = await auditSeq();
    const again = await send(cy, file);
    clearError(again, 422, 'import_has_problems');
    expect(again.body.error.details).to.include({ rows: 2, valid: 0, invalid: 2 });
    expect(JSON.stringify(again.body.error.details.problems)).to.include('档案');
    clearError(await send(cy, file, { onlyValid: true }), 422, 'import_has_problems');
    const prev = await send(cy, file, { dryRun: true });
    expect(prev.body).to.include({ valid: 0, invalid: 2 });
    // Another district's officer importing the same numbers learns nothing of the CY files.
    const other = await send(hd, b64(csvText(ids.map((idNumber) => row({ idNumber, district: 'HD' })))), { dryRun: true });
    expect(JSON.stringify(other.body.items)).to.include('请联系市总工会核实').and.not.include('CY');
    expect(await householdActions(seq2)).to.deep.equal([]);
    for (const id of ids) expect(await activeFiles(cy, id)).to.have.length(1);
  });

  it('two imports of the same file at once: one creates the files, the other is a clear 409, never two active files of one ID number', async () => {
    const ids = Array.from({ length: 30 }, () => newIdNumber());
    const file = b64(csvText(ids.map((idNumber) => row({ idNumber }))));
    const seq = await auditSeq();
    const answers = await Promise.all([send(cy, file), send(cy, file), send(cy, file)]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, answers.map((a) => a.text.slice(0, 200)).join('\n')).to.deep.equal([201, 409, 409]);
    for (const a of answers.filter((x) => x.status === 409)) clearError(a, 409, 'duplicate_household');
    for (const id of ids) expect(await activeFiles(cy, id)).to.have.length(1);
    const actions = await householdActions(seq);
    expect(actions.filter((a) => a === 'household.created')).to.have.length(30);
    expect(actions.filter((a) => a === 'household.imported')).to.have.length(1);
    // A single create racing the import: one file either way.
    const id = newIdNumber();
    const [imp, single] = await Promise.all([send(cy, b64(csvText([row({ idNumber: id })]))), api('POST', '/households', {
      token: cy, body: { headName: '钱多多', idNumber: id, district: 'CY', monthlyIncome: '2400.00', memberCount: 1, category: 'deep', causes: ['illness'] },
    })]);
    expect([imp.status, single.status].sort()).to.deep.equal([201, 409]);
    expect(await activeFiles(cy, id)).to.have.length(1);
    // Three single creates of one number at once: one file, two clear 409s.
    const id3 = newIdNumber();
    const creates = await Promise.all([1, 2, 3].map(() => api('POST', '/households', {
      token: cy, body: { headName: '孙同时', idNumber: id3, district: 'CY', monthlyIncome: '2400.00', memberCount: 1, category: 'deep', causes: ['illness'] },
    })));
    expect(creates.map((c) => c.status).sort(), creates.map((c) => c.text.slice(0, 200)).join('\n')).to.deep.equal([201, 409, 409]);
    expect(await activeFiles(cy, id3)).to.have.length(1);
    // Two files changed to one new number at once (PATCH): one succeeds, the other is a clear 409.
    const [f1, f2] = [await createHousehold(cy), await createHousehold(cy)];
    const id4 = newIdNumber();
    const patches = await Promise.all([f1, f2].map((f) => api('PATCH', `/households/${f.id}`, { token: cy, body: { idNumber: id4 } })));
    expect(patches.map((c) => c.status).sort(), patches.map((c) => c.text.slice(0, 200)).join('\n')).to.deep.equal([200, 409]);
    expect(await activeFiles(cy, id4)).to.have.length(1);
  });

  // ------------------------------------------------------------------------------------------ home visits

  const visit = (token: string, id: number, body: Record<string, unknown>) => api('POST', `/households/${id}/visits`, { token, body });
  const visitBody = (over: Record<string, unknown> = {}) => ({ date: '2026-01-10', visitors: [{ name: '张干事' }], findings: { housing: { status: 'stable' } }, ...over });

  it('refuses a visit dated after today, and follow-ups due before the visit, writing nothing', async () => {
    const h = await createHousehold(cy);
    const seq = await auditSeq();
    clearError(await visit(cy, h.id, visitBody({ date: addDays(shanghaiDate(), 1) })), 422, 'future_date');
    clearError(await visit(cy, h.id, visitBody({ date: '2999-01-01' })), 400, 'validation_failed');
    const early = await visit(cy, h.id, visitBody({ date: '2026-01-10', followUps: [{ action: '送米面油', dueDate: '2026-01-20' }, { action: '补交材料', dueDate: '2026-01-09' }] }));
    clearError(early, 400, 'validation_failed');
    expect(JSON.stringify(early.body.error.details)).to.include('followUps');
    clearError(await visit(cy, h.id, visitBody({ date: '2026-02-30' })), 400, 'validation_failed');
    clearError(await visit(cy, h.id, visitBody({ findings: {} })), 400, 'validation_failed');
    clearError(await visit(cy, h.id, visitBody({ visitors: [] })), 400, 'validation_failed');
    clearError(await visit(cy, h.id, visitBody({ findings: { needs: { items: ['money'] } } })), 400, 'validation_failed');
    clearError(await visit(hd, h.id, visitBody()), 404, 'not_found');
    clearError(await visit(approverCY, h.id, visitBody()), 403);
    expect(await householdActions(seq)).to.deep.equal([]);
    const same = await visit(cy, h.id, visitBody({ followUps: [{ action: '当天回访', dueDate: '2026-01-10' }] }));
    expect(same.status, same.text).to.equal(201);
  });

  it('marks a follow-up done once (409 the second time, also when two arrive at once), 404 for another file’s action', async () => {
    const h = await createHousehold(cy), other = await createHousehold(cy);
    const v = await visit(cy, h.id, visitBody({ followUps: [{ action: '联系医院', dueDate: '2026-01-15' }, { action: '申请助学', dueDate: '2026-02-01' }] }));
    expect(v.status, v.text).to.equal(201);
    const [a1, a2] = v.body.followUps as { id: number }[];
    const seq = await auditSeq();
    const done = (hid: number, aid: number) => api('POST', `/households/${hid}/follow-ups/${aid}/done`, { token: cy, body: { note: '已办' } });
    expect((await done(h.id, a1!.id)).status).to.equal(200);
    clearError(await done(h.id, a1!.id), 409, 'invalid_state');
    const both = await Promise.all([done(h.id, a2!.id), done(h.id, a2!.id)]);
    expect(both.map((b) => b.status).sort()).to.deep.equal([200, 409]);
    clearError(await done(other.id, a1!.id), 404, 'not_found');
    clearError(await done(h.id, 2147483647), 404, 'not_found');
    clearError(await done(h.id, 0), 400, 'validation_failed');
    expect((await householdActions(seq)).filter((a) => a === 'household.follow_up_done')).to.have.length(2);
  });

  it('pages the overdue list without losing or repeating a file, and refuses junk paging', async () => {
    const token = (await userToken(['officer'], 'FT')).token;
    // Visited long ago (two on the same day: the tie is broken by id), so overdue whatever else the database holds.
    for (const date of ['2025-01-03', '2025-01-01', '2025-01-02', '2025-01-02', '2025-01-05']) {
      const h = await createHousehold(token, { district: 'FT' });
      expect((await visit(token, h.id, visitBody({ date }))).status).to.equal(201);
    }
    const all = await api('GET', '/households/visits/overdue?days=1&limit=500', { token });
    expect(all.status).to.equal(200);
    const ids: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/households/visits/overdue?days=1&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const p = await api('GET', q, { token });
      expect(p.status, p.text).to.equal(200);
      expect(p.body.total).to.equal(all.body.total);
      ids.push(...(p.body.items as { householdId: number }[]).map((x) => x.householdId));
      cursor = p.body.nextCursor;
    } while (cursor && ++pages < 1000);
    expect(ids).to.deep.equal((all.body.items as { householdId: number }[]).map((x) => x.householdId));
    expect(new Set(ids).size).to.equal(ids.length);
    for (const q of ['cursor=abc', 'cursor=-1', 'limit=0', 'limit=100000', 'days=0', 'days=abc', 'district=HD']) {
      const r = await api('GET', `/households/visits/overdue?${q}`, { token });
      expect(r.status, `${q}: ${r.text}`).to.be.within(400, 404);
      errorCode(r);
    }
  });
});
