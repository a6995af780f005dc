// 代发文件 The batch-payment file for the bank (CSV in GBK, or XLSX) and the bank's result file: successes confirm
// their lines; failures post the transfer back (Dr 1002 / Cr 2209: the payable to the household is open again)
// and the lines become payable again, for a second attempt or cash. Finance only; the accounts are in full only
// in the file itself, never in a log or an answer.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type { Db } from '../platform/db';
import { shanghaiDate } from '../platform/clock';
import { badRequest, unprocessable } from '../platform/errors';
import { Decimal, money, sum } from '../platform/money';
import type { SessionUser } from '../auth';
import type { PostingBatcher } from '../ledger';
import { bankAccountsForPayment } from '../households';
import { decodeLine, lineRef, parseLineRef, type CampaignRow, type LineRow } from './model';
import { lockCampaign } from './roll';
import type { IdempotencyClaim, WriteResult } from '../http/idempotency';
import { keepAnswer, postLines, priorAnswer, returnEntry, PAYMENT_CHUNK, paymentTestHooks } from './service';
import { campaignWorkflow } from './workflow';

export const BANK_FILE_HEADER = ['序号', '收款账号', '收款户名', '开户行', '金额', '附言'] as const;

export interface BankFileRow {
  seq: number;
  lineNo: number;
  accountNo: string;
  accountName: string;
  bankName: string;
  amount: string;
  memo: string;
}

/** The rows of the file: lines posted and awaiting the bank's result, in line order. */
async function bankFileRows(db: Db, c: CampaignRow): Promise<BankFileRow[]> {
  const lines = (await db('campaign_lines').where({ campaign_id: c.id, status: 'included', pay_state: 'paid', pay_method: 'bank' }).orderBy('line_no')).map(decodeLine);
  const accounts = await bankAccountsForPayment(db, lines.map((l) => l.household_id));
  const rows: BankFileRow[] = [];
  for (const l of lines) {
    const a = accounts.get(l.household_id);
    // An account removed after payment: the line stays out of the file (the result import never sees it; pay it in cash after a return by hand).
    if (!a) continue;
    // By code points (never half a surrogate pair); the memo drops what GBK cannot hold (the reference is plain ASCII).
    const full = `${lineRef(c.id, l.line_no)} ${c.name}`;
    const memo = Array.from(full).filter((ch, i) => i < 60 && (ch.charCodeAt(0) < 0x80 || gbkSafe(ch))).slice(0, 40).join('');
    rows.push({ seq: rows.length + 1, lineNo: l.line_no, accountNo: a.accountNo, accountName: a.accountName, bankName: a.bankName, amount: money(l.amount), memo });
  }
  return rows;
}

/** GBK holds the text as it is (iconv-lite writes "?" for what it cannot, silently). */
const gbkSafe = (v: string) => iconv.decode(iconv.encode(v, 'gbk'), 'gbk') === v;

/**
 * A name the GBK file cannot hold would reach the bank as "?" (the transfer fails on the payee name, or worse):
 * refused, naming the lines (never an account), so the file is taken as XLSX or the name corrected first.
 */
function assertGbk(rows: BankFileRow[]) {
  const bad: { lineNo: number; field: string }[] = [];
  for (const r of rows) {
    if (!gbkSafe(r.accountName)) bad.push({ lineNo: r.lineNo, field: '收款户名' });
    if (!gbkSafe(r.bankName)) bad.push({ lineNo: r.lineNo, field: '开户行' });
  }
  if (bad.length) {
    throw unprocessable('not_gbk_encodable', `${bad.length} field(s) of the file cannot be written in GBK (a rare character): take the file as XLSX, or correct the account's name`, { lines: bad.slice(0, 200) })
      .zh(`代发文件有 ${bad.length} 处（生僻字）无法用 GBK 编码：请导出 XLSX 格式，或先更正账户户名（第 ${bad.slice(0, 10).map((b) => b.lineNo).join('、')} 行）`);
  }
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/^([=+\-@])/, "'$1").replace(/"/g, '""')}"` : v);

export function bankFileCsv(rows: BankFileRow[]): Buffer {
  const text = [BANK_FILE_HEADER.join(','), ...rows.map((r) => [String(r.seq), r.accountNo, r.accountName, r.bankName, r.amount, r.memo].map(csvCell).join(','))].join('\r\n') + '\r\n';
  return iconv.encode(text, 'gbk');
}

export async function bankFileXlsx(rows: BankFileRow[]): Promise<Buffer> {
  // The streaming writer: each row is written out as it is added, not kept as a workbook model (10,000 lines).
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('代发');
  ws.columns = [{ width: 8 }, { width: 26, style: { numFmt: '@' } }, { width: 16 }, { width: 28 }, { width: 14, style: { numFmt: '0.00' } }, { width: 40 }];
  ws.addRow([...BANK_FILE_HEADER]).commit();
  // Account numbers as text (a number would lose digits); amounts as numbers of two decimals.
  for (const r of rows) ws.addRow([r.seq, r.accountNo, r.accountName, r.bankName, Number(r.amount), r.memo]).commit();
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

export interface BankFile {
  body: Buffer;
  fileName: string;
  contentType: string;
  lines: number;
  total: string;
}

/** Builds the file and records its export (timeline and audit: lines, total, format, SHA-256; never an account). */
export async function exportBankFile(db: Knex, user: SessionUser, id: number, format: 'csv' | 'xlsx'): Promise<BankFile> {
  return db.transaction(async (trx) => {
    const c = await lockCampaign(trx, user, id);
    const refusal = await campaignWorkflow.check(trx, c, 'export_bank_file', user);
    if (refusal) throw refusal;
    const rows = await bankFileRows(trx, c);
    if (format === 'csv') assertGbk(rows);
    const body = format === 'csv' ? bankFileCsv(rows) : await bankFileXlsx(rows);
    const total = money(sum(rows.map((r) => r.amount)));
    const sha256 = crypto.createHash('sha256').update(body).digest('hex');
    await campaignWorkflow.apply(trx, c, 'export_bank_file', user, { amount: total, note: `${format} ${rows.length} lines sha256 ${sha256}`, publicExtra: { format, lines: rows.length, total, sha256 } });
    return {
      body, lines: rows.length, total,
      fileName: `campaign-${c.id}-bank-${shanghaiDate()}.${format}`,
      contentType: format === 'csv' ? 'text/csv; charset=GBK' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    };
  });
}

// ---------------------------------------------------------------------------------------------- result file

export interface ResultInput {
  format: 'csv' | 'xlsx';
  content?: string;
  contentBase64?: string;
  encoding?: 'utf-8' | 'gbk';
}

interface ResultRow {
  row: number;
  reference: string;
  ok: boolean;
  reason: string;
  amount: string | null;
}

const rowError = (row: number, message: string) => badRequest(`row ${row} of the result file: ${message}`, [{ in: 'body', path: 'content', message: `row ${row}: ${message}` }]).zh(`结果文件第 ${row} 行：${message}`);

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

async function tableOf(input: ResultInput): Promise<string[][]> {
  const bytes = input.contentBase64 !== undefined ? Buffer.from(input.contentBase64, 'base64') : undefined;
  if (input.format === 'xlsx') {
    if (!bytes) throw badRequest('an XLSX result file comes as contentBase64', [{ in: 'body', path: 'contentBase64', message: 'is required for xlsx' }]);
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    } catch {
      throw badRequest('the result file is not a readable XLSX workbook', [{ in: 'body', path: 'contentBase64', message: 'not an XLSX workbook' }]);
    }
    const ws = wb.worksheets[0];
    if (!ws) throw badRequest('the workbook has no sheet', [{ in: 'body', path: 'contentBase64', message: 'no sheet' }]);
    const out: string[][] = [];
    ws.eachRow({ includeEmpty: false }, (r) => {
      const cells: string[] = [];
      for (let i = 1; i <= r.cellCount; i++) cells.push(r.getCell(i).text ?? '');
      out.push(cells);
    });
    return out;
  }
  let text = input.content ?? '';
  if (bytes) {
    const utf8Bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    text = input.encoding === 'gbk' ? iconv.decode(bytes, 'gbk') : utf8Bom ? bytes.subarray(3).toString('utf8') : input.encoding === 'utf-8' ? bytes.toString('utf8') : looksUtf8(bytes) ? bytes.toString('utf8') : iconv.decode(bytes, 'gbk');
  }
  return parseCsv(text.replace(/^\uFEFF/, ''));
}

const looksUtf8 = (b: Buffer) => !b.toString('utf8').includes('\uFFFD');

const COLUMNS = { reference: ['附言', 'reference', '备注', '摘要'], status: ['状态', '处理结果', '结果', 'status'], reason: ['失败原因', '原因', 'reason', '备注说明'], amount: ['金额', 'amount'] };
const SUCCESS = new Set(['成功', '交易成功', 'success', 'succeeded', 's', 'ok']);
const FAILURE = new Set(['失败', '交易失败', 'failure', 'failed', 'f', 'fail']);

/** The rows of the bank's answer: the line reference (in 附言), success or failure and its reason. */
export async function parseResultFile(input: ResultInput): Promise<ResultRow[]> {
  const table = await tableOf(input);
  if (table.length < 1) throw rowError(1, 'the file is empty');
  const header = table[0]!.map((h) => h.trim().toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.some((n) => h === n.toLowerCase()));
  const at = { reference: col(COLUMNS.reference), status: col(COLUMNS.status), reason: col(COLUMNS.reason), amount: col(COLUMNS.amount) };
  if (at.reference < 0 || at.status < 0) throw rowError(1, 'the header needs 附言 (the line reference) and 状态 (success or failure)');
  if (table.length > 50_001) throw rowError(50_002, 'a result file holds at most 50,000 lines');
  return table.slice(1).map((cells, i) => {
    const row = i + 2;
    const reference = (cells[at.reference] ?? '').trim().split(/\s+/)[0] ?? '';
    const status = (cells[at.status] ?? '').trim().toLowerCase();
    const ok = SUCCESS.has(status) ? true : FAILURE.has(status) ? false : null;
    if (ok === null) throw rowError(row, `status "${status.slice(0, 20)}" is neither success (成功) nor failure (失败)`);
    const amount = at.amount >= 0 ? (cells[at.amount] ?? '').trim().replace(/,/g, '') : '';
    if (amount && !/^\d{1,16}(\.\d{1,2})?$/.test(amount)) throw rowError(row, `amount "${amount.slice(0, 20)}" is not an amount`);
    return { row, reference, ok, reason: (at.reason >= 0 ? cells[at.reason] ?? '' : '').trim().slice(0, 200) || (ok ? '' : '未说明 unspecified'), amount: amount || null };
  });
}

export interface ResultSummary {
  campaignId: number;
  confirmed: number;
  returned: number;
  skipped: number;
  /** Lines to pay again (next payment run) or in cash: masked, with the bank's reason. */
  returnedLines: { lineNo: number; district: string; maskedName: string; amount: string; reason: string }[];
}

/**
 * Applies the bank's result file. Every reference must name a line of this campaign (else 400, nothing written).
 * Lines awaiting a result: success → confirmed; failure → the transfer posted back (per-line key, as payments),
 * then the line is returned (its payable open, its attempt counted). Lines already settled are skipped, so the
 * same file imported twice changes nothing. The request's Idempotency-Key replays the first answer (as payments).
 */
export async function importBankResult(db: Knex, batcher: PostingBatcher, user: SessionUser, id: number, input: ResultInput, claim?: IdempotencyClaim): Promise<WriteResult> {
  const prior = await priorAnswer(db, claim);
  if (prior) return prior;
  const rows = await parseResultFile(input);
  const { c, failed, succeeded, skipped } = await db.transaction(async (trx) => {
    const c = await lockCampaign(trx, user, id);
    const refusal = await campaignWorkflow.check(trx, c, 'import_bank_result', user);
    if (refusal) throw refusal;
    const byNo = new Map<number, LineRow>();
    const wanted = [...new Set(rows.map((r) => parseLineRef(r.reference)?.lineNo).filter((n): n is number => n !== undefined))];
    for (let i = 0; i < wanted.length; i += 5000) {
      for (const raw of await trx('campaign_lines').where({ campaign_id: id }).whereIn('line_no', wanted.slice(i, i + 5000))) {
        const l = decodeLine(raw);
        byNo.set(l.line_no, l);
      }
    }
    const failed: { line: LineRow; reason: string }[] = [];
    const succeeded: LineRow[] = [];
    let skipped = 0;
    const seen = new Set<number>();
    for (const r of rows) {
      const ref = parseLineRef(r.reference);
      if (!ref || ref.campaignId !== id || !byNo.has(ref.lineNo)) throw rowError(r.row, `"${r.reference.slice(0, 30)}" is not a line reference of campaign ${id} (C${id}-<line>)`);
      const line = byNo.get(ref.lineNo)!;
      if (seen.has(line.id)) throw rowError(r.row, `line ${ref.lineNo} appears twice`);
      seen.add(line.id);
      if (r.amount && !new Decimal(r.amount).eq(line.amount)) throw rowError(r.row, `amount ${r.amount} differs from the line's ${money(line.amount)}`);
      if (line.pay_state !== 'paid' || line.pay_method !== 'bank') {
        skipped++;
        continue;
      }
      if (r.ok) succeeded.push(line);
      else failed.push({ line, reason: r.reason });
    }
    if (!failed.length && !succeeded.length && !skipped) throw rowError(2, 'the file has a header and no line');
    return { c, failed, succeeded, skipped };
  });

  const date = shanghaiDate();
  const chunk = paymentTestHooks.chunkSize ?? PAYMENT_CHUNK;
  for (let i = 0; i < failed.length; i += chunk) {
    const part = failed.slice(i, i + chunk);
    const reasons = new Map(part.map((f) => [f.line.id, f.reason]));
    await postLines(batcher, user.username, c, part.map((f) => f.line), (l) => returnEntry(c, l, date, reasons.get(l.id)!), 'return');
    await db.transaction(async (trx) => {
      await trx.raw(
        `UPDATE campaign_lines l SET pay_state = 'returned', pay_attempt = l.pay_attempt + 1, bank_reason = x.reason
           FROM jsonb_to_recordset(?::jsonb) AS x(id integer, reason text) WHERE l.id = x.id AND l.pay_state = 'paid'`,
        [JSON.stringify(part.map((f) => ({ id: f.line.id, reason: f.reason })))],
      );
    });
  }
  return db.transaction(async (trx) => {
    const locked = await lockCampaign(trx, user, id);
    for (let i = 0; i < succeeded.length; i += 5000) {
      await trx('campaign_lines').whereIn('id', succeeded.slice(i, i + 5000).map((l) => l.id)).where('pay_state', 'paid').update({ pay_state: 'confirmed' });
    }
    const returnedAmount = money(sum(failed.map((f) => f.line.amount)));
    await campaignWorkflow.apply(trx, locked, 'import_bank_result', user, {
      amount: returnedAmount, note: `confirmed ${succeeded.length}, returned ${failed.length}, skipped ${skipped}`,
      publicExtra: { confirmed: succeeded.length, returned: failed.length, returnedAmount, skipped },
    });
    // Returned lines are open again: the roll is not fully paid until they are paid again or in cash.
    if (failed.length && locked.status === 'paid') await campaignWorkflow.apply(trx, await lockCampaign(trx, user, id), 'pay_part', user, { note: `${failed.length} transfers returned by the bank` });
    const body: ResultSummary = {
      campaignId: id, confirmed: succeeded.length, returned: failed.length, skipped,
      returnedLines: failed.slice(0, 1000).map((f) => ({ lineNo: f.line.line_no, district: f.line.district, maskedName: f.line.masked_name, amount: money(f.line.amount), reason: f.reason })),
    };
    return keepAnswer(trx, claim, { status: 200, body });
  });
}
