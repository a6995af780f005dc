// The household import sheet: its columns (the template, the reader and docs/households.md share them), the
// template workbook, and the reader: bytes (.xlsx/.xls, or CSV in UTF-8 with or without BOM, or GBK) → one
// HouseholdInput per row with the problems of its cells. Bytes become tables through the reconciliation
// domain's file readers (SheetJS, GBK detection), never by hand here. Pure: no database.
import type { DataValidation } from 'exceljs';
import { Decimal } from '../platform/money';
import { csvRecords, decodeTableBytes, looksLikeSpreadsheet, spreadsheetTables, TableFileProblems } from '../reconciliation';
import { CATEGORIES, CAUSES, normalizeIdNumber, type Category, type Cause, type HouseholdInput, type Member } from './model';

export const MAIN_SHEET = '家庭档案';
export const MEMBER_SHEET = '家庭成员';

export interface ColumnSpec {
  key: string;
  zh: string;
  en: string;
  required?: boolean;
  /** What the cell holds, for the template's notes sheet and the docs. */
  hint: string;
}

/** The main sheet, in template order. `members` (one cell per household) is the CSV way to give members. */
export const HOUSEHOLD_COLUMNS: readonly ColumnSpec[] = [
  { key: 'headName', zh: '户主姓名', en: 'Head of household', required: true, hint: '≤ 50 字 · up to 50 characters' },
  { key: 'idNumber', zh: '身份证号', en: 'ID number', required: true, hint: '18 位，末位可为 X；单元格设为文本 · 18 characters, text cell' },
  { key: 'phone', zh: '联系电话', en: 'Phone', hint: '5–20 位数字 · 5 to 20 digits' },
  { key: 'district', zh: '所在区', en: 'District', required: true, hint: '下拉选择，或区代码/区名 · drop-down, or the code or name' },
  { key: 'unionOrg', zh: '所属工会', en: 'Union organisation', hint: '≤ 200 字' },
  { key: 'address', zh: '家庭住址', en: 'Address', hint: '≤ 300 字' },
  { key: 'monthlyIncome', zh: '家庭月收入（元）', en: 'Monthly income (yuan)', required: true, hint: '≥ 0，最多两位小数 · at least 0, at most 2 decimals' },
  { key: 'memberCount', zh: '家庭人口', en: 'Member count', required: true, hint: '1–30，含户主；填了家庭成员时须等于成员数 + 1 · 1 to 30 with the head; members + 1 when members are listed' },
  { key: 'category', zh: '困难类别', en: 'Category', required: true, hint: '下拉选择 · drop-down' },
  { key: 'cause', zh: '致困原因', en: 'Cause', required: true, hint: '下拉选择 · drop-down' },
  { key: 'otherCauses', zh: '其他致困原因', en: 'Other causes', hint: '可多个，用顿号分隔 · several, separated by 、' },
  { key: 'members', zh: '家庭成员', en: 'Members', hint: 'CSV 用：姓名/关系/年龄/健康状况/就业状况，多人用分号分隔 · for CSV: name/relation/age/health/work; several separated by ;' },
  { key: 'notes', zh: '备注', en: 'Notes', hint: '≤ 2000 字' },
];

/** The members sheet (.xlsx): one row per member, keyed by the head's ID number. */
export const MEMBER_COLUMNS: readonly ColumnSpec[] = [
  { key: 'headIdNumber', zh: '户主身份证号', en: 'Head ID number', required: true, hint: '与家庭档案表中的身份证号相同 · as in the households sheet' },
  { key: 'name', zh: '姓名', en: 'Name', required: true, hint: '≤ 50 字' },
  { key: 'relation', zh: '与户主关系', en: 'Relation', required: true, hint: '如 配偶、子女、父母 · e.g. spouse, child, parent' },
  { key: 'age', zh: '年龄', en: 'Age', hint: '0–130' },
  { key: 'health', zh: '健康状况', en: 'Health', hint: '≤ 200 字（加密保存 · stored encrypted）' },
  { key: 'workStatus', zh: '就业状况', en: 'Work status', hint: '≤ 50 字（加密保存 · stored encrypted）' },
];

export const CATEGORY_ZH: Record<Category, string> = { deep: '深度困难', relative: '相对困难', accidental: '意外致困' };
export const CAUSE_ZH: Record<Cause, string> = {
  illness: '疾病', disability: '残疾', education: '子女就学', unemployment: '失业', single_parent: '单亲', disaster: '灾害', other: '其他',
};

export interface DistrictRef {
  code: string;
  nameZh: string;
}

/** A problem of one cell (or row, or the file): where, and what, in English and Chinese. */
export interface ImportProblem {
  sheet: string;
  /** The row as the spreadsheet shows it (1-based); null for the whole file. */
  row: number | null;
  /** The column's Chinese header; null for the whole row. */
  column: string | null;
  field: string | null;
  message: string;
  messageZh: string;
}

export interface ParsedHousehold {
  row: number;
  /** What the cells gave; a field whose cell is empty or unreadable is absent (the schema then names it). */
  input: Partial<HouseholdInput>;
  /** Where each member came from (sheet and row), in list order. */
  memberRows: { sheet: string; row: number }[];
  problems: ImportProblem[];
}

export interface ParsedFile {
  format: 'xlsx' | 'xls' | 'csv';
  /** The households sheet's name ('CSV' for a CSV file). */
  sheet: string;
  encoding: string;
  rows: ParsedHousehold[];
  /** Problems of the file or of rows that belong to no household (a member of an unknown head). */
  fileProblems: ImportProblem[];
}

const norm = (s: string) => s.replace(/[（(][^）)]*[）)]/g, '').replace(/[\s*＊·_\-:：]/g, '').toLowerCase();

/** Header text → column key, by the Chinese header, the English one or the key itself. */
function headerIndex(columns: readonly ColumnSpec[]) {
  const m = new Map<string, string>();
  for (const c of columns) for (const name of [c.zh, c.en, c.key]) m.set(norm(name), c.key);
  return m;
}
const MAIN_INDEX = headerIndex(HOUSEHOLD_COLUMNS);
const MEMBER_INDEX = headerIndex(MEMBER_COLUMNS);
const zhOf = (columns: readonly ColumnSpec[], key: string) => columns.find((c) => c.key === key)?.zh ?? key;

/** The English label of a cell's second header row: "Head of household (headName)". */
export const englishHeader = (c: ColumnSpec) => `${c.en} (${c.key})`;

interface Table {
  sheet: string;
  rows: { line: number; cells: string[]; longNumbers?: number[] }[];
}

/** Column positions of a table: the first of its first 10 rows naming the required columns. */
function findHeader(t: Table, index: Map<string, string>, needs: string[]) {
  for (let i = 0; i < Math.min(10, t.rows.length); i++) {
    const cols = new Map<string, number>();
    t.rows[i]!.cells.forEach((c, j) => {
      const key = index.get(norm(c));
      if (key && !cols.has(key)) cols.set(key, j);
    });
    if (needs.every((k) => cols.has(k))) {
      // A second header row (the template's English names) is skipped.
      let start = i + 1;
      const next = t.rows[start];
      if (next) {
        const filled = next.cells.filter((c) => c.trim() !== '');
        if (filled.length && filled.every((c) => index.has(norm(c)))) start++;
      }
      return { cols, start };
    }
  }
  return null;
}

const problem = (sheet: string, row: number | null, column: string | null, field: string | null, message: string, messageZh: string): ImportProblem =>
  ({ sheet, row, column, field, message, messageZh });

/** Bytes → tables: a workbook's sheets, or a CSV file's one table (delimiter: comma, tab or semicolon). */
function readTables(bytes: Buffer, encoding: 'utf-8' | 'gbk' | undefined, fileProblems: ImportProblem[]): { tables: Table[]; format: ParsedFile['format']; encoding: string } {
  if (looksLikeSpreadsheet(bytes)) {
    const problems = new TableFileProblems();
    const sheets = spreadsheetTables(bytes, problems);
    for (const p of problems.list) fileProblems.push(problem('', null, null, null, p.problem, `文件无法读取：${p.problem}`));
    return { tables: sheets.map((s) => ({ sheet: s.sheet, rows: s.rows })), format: bytes.readUInt32BE(0) === 0x504b0304 ? 'xlsx' : 'xls', encoding: 'binary' };
  }
  let text: string, enc: string;
  try {
    ({ text, encoding: enc } = decodeTableBytes(bytes, encoding));
  } catch (e) {
    fileProblems.push(problem('', null, null, null, (e as Error).message, '文件不是有效的 UTF-8 文本'));
    return { tables: [], format: 'csv', encoding: encoding ?? 'utf-8' };
  }
  text = text.replace(/^\ufeff/, '');
  const firstLine = text.slice(0, Math.max(0, text.search(/\r?\n|$/)));
  const delimiter = [',', '\t', ';'].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best), ',');
  const rows: Table['rows'] = [];
  try {
    for (const r of csvRecords(text, delimiter)) {
      if (r.cells.length === 1 && r.cells[0] === '') continue;
      rows.push({ line: r.line, cells: r.cells.map((c) => c.trim()) });
    }
  } catch (e) {
    const line = (e as { csvLine?: number }).csvLine ?? null;
    fileProblems.push(problem('', line, null, null, (e as Error).message, `第 ${line ?? '?'} 行引号没有闭合`));
  }
  return { tables: [{ sheet: 'CSV', rows }], format: 'csv', encoding: enc };
}

function districtOf(raw: string, districts: readonly DistrictRef[]): string | null {
  const s = raw.trim();
  const up = s.toUpperCase();
  for (const d of districts) {
    const short = d.nameZh.replace(/区$/, '');
    if (up === d.code || s === d.nameZh || s === short || s === `${d.code} ${d.nameZh}` || up.split(/\s+/)[0] === d.code) return d.code;
  }
  return null;
}

const CATEGORY_BY_TEXT = new Map<string, Category>(CATEGORIES.flatMap((c) => [[c, c], [CATEGORY_ZH[c], c]] as [string, Category][]));
const CAUSE_BY_TEXT = new Map<string, Cause>(CAUSES.flatMap((c) => [[c, c], [CAUSE_ZH[c], c], [c.replace('_', ' '), c]] as [string, Cause][]));

/** An amount as people type it in a sheet: 2000, 2,000.50, ¥2000, 2000元 → "2000.00"; null when it is not one. */
function amountOf(raw: string): string | null {
  const s = raw.trim().replace(/^(¥|￥)\s*/, '').replace(/\s*元$/, '').replace(/,/g, '');
  if (!/^\d{1,16}(\.\d{1,2})?$/.test(s)) return null;
  return new Decimal(s).toFixed(2);
}

/** "李秀兰/配偶/45/慢性病/无业；王小明/子女/12" → members (the CSV way). */
function compactMembers(raw: string): { members: Member[]; bad: string | null } {
  const members: Member[] = [];
  for (const part of raw.split(/[;；\n]/).map((p) => p.trim()).filter(Boolean)) {
    const [name, relation, age, health, workStatus] = part.split(/[/／]/).map((x) => x.trim());
    if (!name || !relation) return { members, bad: part };
    const m: Member = { name, relation };
    if (age) {
      if (!/^\d{1,3}$/.test(age)) return { members, bad: part };
      m.age = Number(age);
    }
    if (health) m.health = health;
    if (workStatus) m.workStatus = workStatus;
    members.push(m);
  }
  return { members, bad: null };
}

/**
 * Reads an import file. Every row of the main sheet becomes a ParsedHousehold with the problems of its cells
 * that can be told from the text alone (unknown category or district, a count that is not a number, …);
 * the schema, scope and duplicate checks follow in imports.ts.
 */
export function parseImportFile(bytes: Buffer, opts: { encoding?: 'utf-8' | 'gbk'; districts: readonly DistrictRef[] }): ParsedFile {
  const fileProblems: ImportProblem[] = [];
  const { tables, format, encoding } = readTables(bytes, opts.encoding, fileProblems);
  const out: ParsedFile = { format, encoding, sheet: format === 'csv' ? 'CSV' : MAIN_SHEET, rows: [], fileProblems };
  if (fileProblems.length) return out;
  const main = tables.find((t) => t.sheet === MAIN_SHEET && findHeader(t, MAIN_INDEX, ['headName', 'idNumber']))
    ?? tables.find((t) => findHeader(t, MAIN_INDEX, ['headName', 'idNumber']));
  if (!main) {
    fileProblems.push(problem(tables[0]?.sheet ?? '', null, null, null,
      'no sheet has the header row of the template (户主姓名, 身份证号, …): download the template',
      '没有找到模板的表头（户主姓名、身份证号……），请下载导入模板'));
    return out;
  }
  const head = findHeader(main, MAIN_INDEX, ['headName', 'idNumber'])!;
  out.sheet = main.sheet;
  for (const c of HOUSEHOLD_COLUMNS) {
    if (c.required && c.key !== 'cause' && !head.cols.has(c.key)) {
      fileProblems.push(problem(main.sheet, null, c.zh, c.key, `the column ${c.zh} (${c.en}) is missing`, `缺少“${c.zh}”列`));
    }
  }
  if (!head.cols.has('cause') && !head.cols.has('otherCauses')) fileProblems.push(problem(main.sheet, null, '致困原因', 'causes', 'the column 致困原因 (Cause) is missing', '缺少“致困原因”列'));
  if (fileProblems.length) return out;

  const cell = (cells: string[], cols: Map<string, number>, key: string) => {
    const i = cols.get(key);
    return i === undefined ? '' : (cells[i] ?? '').trim();
  };
  const byIdNumber = new Map<string, ParsedHousehold>();
  for (const r of main.rows.slice(head.start)) {
    if (r.cells.every((c) => c.trim() === '')) continue;
    const get = (key: string) => cell(r.cells, head.cols, key);
    const problems: ImportProblem[] = [];
    const bad = (key: string, message: string, messageZh: string) => problems.push(problem(main.sheet, r.line, zhOf(HOUSEHOLD_COLUMNS, key), key, message, messageZh));
    // Full-width digits, spaces and ｘ as Chinese input methods type them become the 18 plain characters.
    let idNumber = normalizeIdNumber(get('idNumber').normalize('NFKC'));
    // Required cells missing are the schema's to report (imports.ts); here only what text cannot become.
    const input: Partial<HouseholdInput> = {};
    for (const k of ['headName', 'phone', 'unionOrg', 'address', 'notes'] as const) if (get(k) !== '') input[k] = get(k);
    const idCol = head.cols.get('idNumber');
    if ((idCol !== undefined && r.longNumbers?.includes(idCol)) || /^\d+(\.\d+)?E\+?\d+$/.test(idNumber)) {
      // A number cell keeps 15 digits: the rounded number may even pass the check, so it is never taken.
      bad('idNumber', `the ID number was stored as a number ("${idNumber.slice(0, 24)}"), which keeps only 15 digits, so its last digits are lost: format the column as text and type the number again`,
        `身份证号被存成了数字（“${idNumber.slice(0, 24)}”），表格只保留 15 位，末几位已丢失：请把该列设为“文本”格式后重新输入`);
      idNumber = '';
    }
    if (idNumber) input.idNumber = idNumber;
    const district = get('district');
    if (district) {
      const code = districtOf(district, opts.districts);
      if (code) input.district = code;
      else bad('district', `unknown district "${district.slice(0, 40)}"`, `区“${district.slice(0, 40)}”不存在`);
    }
    const income = get('monthlyIncome');
    if (income) {
      const a = amountOf(income);
      if (a) input.monthlyIncome = a;
      else bad('monthlyIncome', `"${income.slice(0, 40)}" is not an amount of at least 0 with at most 2 decimals`, `“${income.slice(0, 40)}”不是金额（不小于 0，最多两位小数）`);
    }
    const count = get('memberCount');
    if (count) {
      if (/^\d{1,3}$/.test(count)) input.memberCount = Number(count);
      else bad('memberCount', `"${count.slice(0, 40)}" is not a whole number`, `“${count.slice(0, 40)}”不是整数`);
    }
    const category = get('category');
    if (category) {
      const c = CATEGORY_BY_TEXT.get(category) ?? CATEGORY_BY_TEXT.get(category.toLowerCase());
      if (c) input.category = c;
      else bad('category', `unknown category "${category.slice(0, 40)}" (one of ${CATEGORIES.map((x) => CATEGORY_ZH[x]).join(', ')})`, `困难类别“${category.slice(0, 40)}”不存在（可选：${CATEGORIES.map((x) => CATEGORY_ZH[x]).join('、')}）`);
    }
    const causes: Cause[] = [];
    for (const key of ['cause', 'otherCauses'] as const) {
      for (const text of get(key).split(/[、,，;；/\s]+/).filter(Boolean)) {
        const c = CAUSE_BY_TEXT.get(text) ?? CAUSE_BY_TEXT.get(text.toLowerCase());
        if (!c) bad(key, `unknown cause "${text.slice(0, 40)}"`, `致困原因“${text.slice(0, 40)}”不存在（可选：${CAUSES.map((x) => CAUSE_ZH[x]).join('、')}）`);
        else if (!causes.includes(c)) causes.push(c);
      }
    }
    if (causes.length) input.causes = causes;
    const memberRows: ParsedHousehold['memberRows'] = [];
    const membersText = get('members');
    if (membersText) {
      const m = compactMembers(membersText);
      if (m.bad) bad('members', `a member must be written name/relation/age/health/work status: "${m.bad.slice(0, 60)}"`, `家庭成员须写成 姓名/关系/年龄/健康状况/就业状况：“${m.bad.slice(0, 60)}”`);
      input.members = m.members;
      for (let i = 0; i < m.members.length; i++) memberRows.push({ sheet: main.sheet, row: r.line });
    }
    const parsed: ParsedHousehold = { row: r.line, input, memberRows, problems };
    out.rows.push(parsed);
    if (idNumber && !byIdNumber.has(idNumber)) byIdNumber.set(idNumber, parsed);
  }

  // Members: the 家庭成员 sheet, each row keyed by its head's ID number.
  const memberSheet = tables.find((t) => t !== main && (t.sheet === MEMBER_SHEET || findHeader(t, MEMBER_INDEX, ['headIdNumber', 'name'])));
  const mh = memberSheet && findHeader(memberSheet, MEMBER_INDEX, ['headIdNumber', 'name']);
  if (memberSheet && mh) {
    const fromSheet = new Set<ParsedHousehold>();
    for (const r of memberSheet.rows.slice(mh.start)) {
      if (r.cells.every((c) => c.trim() === '')) continue;
      const get = (key: string) => cell(r.cells, mh.cols, key);
      const where = (key: string) => zhOf(MEMBER_COLUMNS, key);
      const headId = normalizeIdNumber(get('headIdNumber').normalize('NFKC'));
      const owner = byIdNumber.get(headId);
      if (!owner) {
        fileProblems.push(problem(memberSheet.sheet, r.line, where('headIdNumber'), 'headIdNumber',
          `no household row has the head ID number "${headId.slice(0, 20)}"`, `家庭档案表中没有户主身份证号“${headId.slice(0, 20)}”`));
        continue;
      }
      if (owner.memberRows.some((m) => m.sheet === main.sheet)) {
        owner.problems.push(problem(memberSheet.sheet, r.line, where('headIdNumber'), 'members',
          'members are given both in the 家庭成员 column and on the 家庭成员 sheet', '家庭成员既填在“家庭成员”列又填在家庭成员表中，只能选一种'));
        continue;
      }
      fromSheet.add(owner);
      const m: Member = { name: get('name'), relation: get('relation') };
      const age = get('age');
      if (age) {
        if (/^\d{1,3}$/.test(age)) m.age = Number(age);
        else owner.problems.push(problem(memberSheet.sheet, r.line, where('age'), 'age', `"${age.slice(0, 20)}" is not an age`, `“${age.slice(0, 20)}”不是年龄`));
      }
      if (get('health')) m.health = get('health');
      if (get('workStatus')) m.workStatus = get('workStatus');
      (owner.input.members ??= []).push(m);
      owner.memberRows.push({ sheet: memberSheet.sheet, row: r.line });
    }
  }
  return out;
}

/** Where a schema path (members.2.name) points in the file: sheet, row and column. */
export function placeOf(h: ParsedHousehold, path: (string | number)[], mainSheet: string): { sheet: string; row: number; column: string; field: string } {
  const [first, index, sub] = path;
  if (first === 'members' && typeof index === 'number' && h.memberRows[index]) {
    const at = h.memberRows[index]!;
    const onSheet = at.sheet !== mainSheet;
    return { sheet: at.sheet, row: at.row, column: onSheet && typeof sub === 'string' ? zhOf(MEMBER_COLUMNS, sub) : '家庭成员', field: `members.${index}${sub === undefined ? '' : `.${sub}`}` };
  }
  const key = first === 'causes' ? 'cause' : String(first ?? '');
  return { sheet: mainSheet, row: h.row, column: zhOf(HOUSEHOLD_COLUMNS, key), field: String(first ?? '') };
}

// ------------------------------------------------------------------------------------------ the template

/** The template workbook: the two sheets with Chinese headers, English beneath, one example row, drop-downs. */
export async function templateWorkbook(districts: readonly DistrictRef[], exampleDistrict: string, maxRows: number): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = '温暖基金会 Warmth Foundation';
  const ws = wb.addWorksheet(MAIN_SHEET);
  const cols = HOUSEHOLD_COLUMNS.filter((c) => c.key !== 'members'); // members go on their own sheet
  ws.addRow(cols.map((c) => `${c.zh}${c.required ? ' *' : ''}`)).font = { bold: true };
  ws.addRow(cols.map(englishHeader)).font = { italic: true, color: { argb: 'FF666666' } };
  const d = districts.find((x) => x.code === exampleDistrict) ?? districts[0];
  const example: Record<string, string | number> = {
    headName: '张三', idNumber: EXAMPLE_ID_NUMBER, phone: '13900000000', district: d ? `${d.code} ${d.nameZh}` : '', unionOrg: '某机械厂工会',
    address: '某路1号院2楼301', monthlyIncome: 2000, memberCount: 2, category: CATEGORY_ZH.deep, cause: CAUSE_ZH.illness, otherCauses: '', notes: '示例行，导入前请删除 · example: delete before importing',
  };
  ws.addRow(cols.map((c) => example[c.key] ?? ''));
  cols.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    col.width = Math.max(12, c.zh.length * 2 + 4);
    if (c.key === 'idNumber' || c.key === 'phone') col.numFmt = '@'; // text: an 18-digit number would lose digits
  });
  ws.views = [{ state: 'frozen', ySplit: 2 }];

  // The lists of the drop-downs, on their own sheet (a list longer than 255 characters cannot be inline).
  const lists = wb.addWorksheet('选项');
  lists.addRow(['所在区 District', '困难类别 Category', '致困原因 Cause']).font = { bold: true };
  const dl = districts.map((x) => `${x.code} ${x.nameZh}`);
  const cl = CATEGORIES.map((c) => CATEGORY_ZH[c]);
  const ul = CAUSES.map((c) => CAUSE_ZH[c]);
  for (let i = 0; i < Math.max(dl.length, cl.length, ul.length); i++) lists.addRow([dl[i] ?? '', cl[i] ?? '', ul[i] ?? '']);
  const last = maxRows + 2;
  const colLetter = (key: string) => String.fromCharCode(65 + cols.findIndex((c) => c.key === key));
  for (const [key, letter, n] of [['district', 'A', dl.length], ['category', 'B', cl.length], ['cause', 'C', ul.length]] as const) {
    // exceljs 4.4 takes a range here (its typings lack the property): one rule for the whole column.
    (ws as unknown as { dataValidations: { add(address: string, v: DataValidation): void } }).dataValidations.add(`${colLetter(key)}3:${colLetter(key)}${last}`, {
      type: 'list', allowBlank: key !== 'cause', formulae: [`'选项'!$${letter}$2:$${letter}$${n + 1}`], showErrorMessage: true,
      errorTitle: '请从列表选择 · choose from the list', error: '请从下拉列表中选择 · please choose a value from the list',
    });
  }

  const ms = wb.addWorksheet(MEMBER_SHEET);
  ms.addRow(MEMBER_COLUMNS.map((c) => `${c.zh}${c.required ? ' *' : ''}`)).font = { bold: true };
  ms.addRow(MEMBER_COLUMNS.map(englishHeader)).font = { italic: true, color: { argb: 'FF666666' } };
  ms.addRow([EXAMPLE_ID_NUMBER, '李四', '配偶', 45, '健康', '灵活就业']);
  MEMBER_COLUMNS.forEach((c, i) => { ms.getColumn(i + 1).width = Math.max(12, c.zh.length * 2 + 4); });
  ms.getColumn(1).numFmt = '@';
  ms.views = [{ state: 'frozen', ySplit: 2 }];

  const notes = wb.addWorksheet('说明');
  notes.addRow(['表 Sheet', '列 Column', 'English', '必填 Required', '说明 Notes']).font = { bold: true };
  for (const c of HOUSEHOLD_COLUMNS) notes.addRow([MAIN_SHEET, c.zh, englishHeader(c), c.required ? '是 yes' : '', c.hint]);
  for (const c of MEMBER_COLUMNS) notes.addRow([MEMBER_SHEET, c.zh, englishHeader(c), c.required ? '是 yes' : '', c.hint]);
  notes.addRow([]);
  notes.addRow([`最多 ${maxRows} 行；先预览，再导入。示例行导入前请删除。`, `At most ${maxRows} rows; preview first, then import. Delete the example row before importing.`]);
  notes.getColumn(1).width = 14; notes.getColumn(2).width = 18; notes.getColumn(3).width = 30; notes.getColumn(5).width = 70;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The GB 11643 standard's own example number (a valid check character), used in the template's example row. */
export const EXAMPLE_ID_NUMBER = '11010519491231002X';
