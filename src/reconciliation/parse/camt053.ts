import { XMLParser, XMLValidator } from 'fast-xml-parser';

import { Decimal } from '../../platform/money';
import { MAX_STATEMENT_LINES, type ParsedStatementLine, type StatementProblem } from '../model';
import { LIMITS, Problems, cleanText, parseBankAmount, parseBankDate } from './common';
import { derivePeriod, type FileStatement } from './statement';

const ARRAYS = new Set(['Stmt', 'Bal', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'AddtlNtryInf']);
/** camt.053 nests about 12 elements deep; a file nested deeper than this is refused, not parsed. */
export const MAX_XML_DEPTH = 40;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false, // amounts stay strings: never a float
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => ARRAYS.has(name),
  maxNestedTags: MAX_XML_DEPTH,
});

type Node = Record<string, any>;
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? String((v as Node)['#text'] ?? '') : String(v).trim());
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined || v === null || (v as unknown) === '' ? [] : Array.isArray(v) ? v : [v]);
const ccyOf = (amt: unknown): string | null => (amt && typeof amt === 'object' ? text((amt as Node)['@Ccy']) || null : null);

export interface Camt053Result {
  lines: ParsedStatementLine[];
  /** Opening (OPBD/PRCD) and closing (CLBD) booked balances printed in the file, when present. */
  openingBalance: string | null;
  closingBalance: string | null;
  currency: string | null;
}

export interface Camt053Document {
  /** The message version from the namespace, e.g. "camt.053.001.08" (null when the file has none). */
  version: string | null;
  statements: FileStatement[];
}

/** ISO amounts: up to 5 decimals by the schema; trailing zeros past the cent are fine, a fraction of a cent is not. */
function isoAmount(raw: string): Decimal | null {
  const s = raw.trim().replace(/^(\d+\.\d\d)0+$/, '$1').replace(/^(\d+)\.0{1,5}$/, '$1');
  if (!/^\d{1,16}(\.\d{1,2})?$/.test(s)) return null;
  return parseBankAmount(s);
}

/** Line numbers of each <Ntry> and <Stmt> start tag, in document order (for messages naming the XML line). */
function tagLines(xml: string, tag: string): number[] {
  const out: number[] = [];
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${tag}[\\s>/]`, 'g');
  let line = 1, pos = 0;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    for (let i = xml.indexOf('\n', pos); i !== -1 && i < m.index; i = xml.indexOf('\n', i + 1)) line++;
    pos = m.index;
    out.push(line);
  }
  return out;
}

/** The Document element, also inside an envelope (BizMsgEnvlp with an AppHdr, or any one wrapper). */
function findDocument(doc: Node): Node | undefined {
  if (doc?.Document) return doc.Document;
  if (doc?.BkToCstmrStmt) return doc;
  for (const v of Object.values(doc ?? {})) {
    if (v && typeof v === 'object' && !Array.isArray(v) && (v as Node).Document) return (v as Node).Document;
  }
  return undefined;
}

/**
 * Parses an ISO 20022 camt.053 (BkToCstmrStmt) document of any version (.001.02, .04, .08 …: the namespace
 * urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN is matched loosely) into its statements (Stmt blocks), each
 * with its account (Acct/Id/IBAN or Othr/Id), currency, booked balances, period and lines.
 *
 * Entries (Ntry) are numbered 1.. in file order over the whole file, and problems name that number ("line" =
 * entry) and the XML line. Pending and future entries (Sts PDNG/INFO/FUTR, as text in .02/.04, Sts/Cd in
 * .08) are not part of a statement and are skipped. A batch entry (several TxDtls) gives one line per
 * transaction detail with its own amount (TxDtls/AmtDtls/TxAmt/Amt or TxDtls/Amt), sign, references and
 * counterparty; the parts must add up to the entry's amount.
 *
 * Throws StatementFileError for a file that is not a camt.053 at all; problems of one statement are kept in
 * that statement (a file's other accounts do not refuse the one imported).
 */
export function parseCamt053Document(xml: string): Camt053Document {
  const problems = new Problems();
  const body = xml.replace(/^\ufeff/, '');
  if (body.trim() === '') {
    problems.add(null, 'the file is empty');
    problems.throwIfAny();
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) {
    problems.add(null, 'the XML must not have a DOCTYPE or entity declarations');
    problems.throwIfAny();
  }
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    problems.add(valid.err.line ?? null, `the XML is not well-formed: ${valid.err.msg}`);
    problems.throwIfAny();
  }
  let doc: Node;
  try {
    doc = parser.parse(body) as Node;
  } catch (e) {
    const deep = /nested/i.test((e as Error).message);
    problems.add(null, deep ? `the XML is nested deeper than ${MAX_XML_DEPTH} elements: not a camt.053 statement` : `the XML could not be read: ${(e as Error).message}`);
    problems.throwIfAny();
    throw e;
  }
  const ns = /urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}\.\d{3}\.\d{2})/.exec(body.slice(0, 4000))?.[1] ?? null;
  if (ns && !ns.startsWith('camt.053.')) {
    problems.add(null, `the file is a ${ns} message, not a camt.053 bank statement (BkToCstmrStmt)`);
    problems.throwIfAny();
  }
  const stmts = arr<Node>(findDocument(doc)?.BkToCstmrStmt?.Stmt);
  if (stmts.length === 0) {
    problems.add(null, 'no camt.053 statement found (Document/BkToCstmrStmt/Stmt)');
    problems.throwIfAny();
  }
  const totalEntries = stmts.reduce((n, s) => n + arr(s.Ntry).length, 0);
  if (totalEntries > MAX_STATEMENT_LINES) {
    problems.add(null, `the file has ${totalEntries} entries; at most ${MAX_STATEMENT_LINES} are taken in one import`);
    problems.throwIfAny();
  }
  const ntryLines = tagLines(body, 'Ntry');
  const stmtLines = tagLines(body, 'Stmt');
  let entryNo = 0;
  const statements = stmts.map((stmt, i) => {
    const first = entryNo;
    const st = readStatement(stmt, i + 1, stmtLines[i] ?? null, (k) => ntryLines[first + k] ?? null);
    entryNo += arr(stmt.Ntry).length;
    // Renumber entries over the whole file so "line N" names one entry even with several Stmt blocks.
    for (const l of st.lines) l.lineNo += first;
    for (const p of st.problems) if (p.line !== null && p.line > 0) p.line += first;
    return st;
  });
  return { version: ns, statements };
}

interface TxPart {
  amount: Decimal | null;
  ccy: string | null;
  ind: string;
  tx: Node;
}

function readStatement(stmt: Node, no: number, fileLine: number | null, xmlLineOf: (k: number) => number | null): FileStatement {
  const problems = new Problems();
  const where = `statement ${no}${text(stmt.Id) ? ` (Stmt/Id ${text(stmt.Id).slice(0, 35)})` : ''}`;
  const account = text(stmt?.Acct?.Id?.IBAN) || text(stmt?.Acct?.Id?.Othr?.Id) || null;
  const currencies: FileStatement['currencies'] = [];
  const seen = (ccy: string | null, line: number | null) => {
    if (ccy && !currencies.some((c) => c.currency === ccy)) currencies.push({ currency: ccy, line });
  };
  seen(text(stmt?.Acct?.Ccy) || null, null);

  const balance = (codes: string[]): { amount: string | null; date: string | null } => {
    for (const b of arr<Node>(stmt.Bal)) {
      const code = text(b?.Tp?.CdOrPrtry?.Cd) || text(b?.Tp?.CdOrPrtry?.Prtry);
      if (!codes.includes(code)) continue;
      seen(ccyOf(b.Amt), null);
      const amt = isoAmount(text(b.Amt));
      if (!amt) {
        problems.add(null, `${where}: the ${code} balance "${text(b.Amt).slice(0, 40)}" is not an amount with at most two decimals`, 'Bal');
        return { amount: null, date: null };
      }
      const date = parseBankDate(text(b?.Dt?.Dt ?? b?.Dt?.DtTm ?? ''));
      return { amount: (text(b.CdtDbtInd) === 'DBIT' ? amt.negated() : amt).toFixed(2), date };
    }
    return { amount: null, date: null };
  };
  const opening = balance(['OPBD', 'PRCD']);
  const closing = balance(['CLBD']);

  const lines: ParsedStatementLine[] = [];
  arr<Node>(stmt.Ntry).forEach((n, idx) => {
    const no = idx + 1;
    const xmlLine = xmlLineOf(idx);
    const at = xmlLine !== null ? ` (XML line ${xmlLine})` : '';
    const status = text(n.Sts?.Cd ?? n.Sts?.Prtry ?? n.Sts);
    if (status === 'PDNG' || status === 'INFO' || status === 'FUTR') return;
    const rawAmt = text(n.Amt);
    let amount = isoAmount(rawAmt);
    if (!amount || amount.lte(0)) {
      problems.add(no, `Amt "${rawAmt.slice(0, 40)}" is not a positive amount with at most two decimals${at}`, 'Amt');
      amount = null;
    }
    seen(ccyOf(n.Amt), no);
    const ind = text(n.CdtDbtInd);
    if (ind !== 'CRDT' && ind !== 'DBIT') problems.add(no, `CdtDbtInd "${ind.slice(0, 10)}" must be CRDT or DBIT${at}`, 'CdtDbtInd');
    const rawDate = text(n.BookgDt?.Dt ?? n.BookgDt?.DtTm ?? n.ValDt?.Dt ?? n.ValDt?.DtTm ?? '');
    const date = parseBankDate(rawDate);
    if (!date) problems.add(no, rawDate ? `BookgDt "${rawDate.slice(0, 40)}" is not a date${at}` : `BookgDt is missing${at}`, 'BookgDt');
    if (!amount || !date || (ind !== 'CRDT' && ind !== 'DBIT')) return;
    const entryAmount = ind === 'DBIT' ? amount.negated() : amount;

    const txs = arr<Node>(n.NtryDtls).flatMap((d) => arr<Node>(d?.TxDtls));
    const parts: TxPart[] = txs.map((tx) => {
      const a = tx?.AmtDtls?.TxAmt?.Amt ?? tx?.Amt;
      return { amount: a === undefined ? null : isoAmount(text(a)), ccy: ccyOf(a), ind: text(tx?.CdtDbtInd) || ind, tx };
    });
    if (txs.length > 1 && parts.some((p) => p.amount !== null || text(p.tx?.AmtDtls?.TxAmt?.Amt ?? p.tx?.Amt) !== '')) {
      // A batch: one line per transaction detail, each with its own amount.
      let ok = true;
      parts.forEach((p, k) => {
        const raw = text(p.tx?.AmtDtls?.TxAmt?.Amt ?? p.tx?.Amt);
        if (!p.amount || p.amount.lte(0)) {
          problems.add(no, raw ? `TxDtls ${k + 1}: amount "${raw.slice(0, 40)}" is not a positive amount with at most two decimals${at}` : `TxDtls ${k + 1} has no amount (Amt or AmtDtls/TxAmt/Amt): a batch is split only when each part has its own${at}`, 'TxDtls/Amt');
          ok = false;
        }
        if (p.ind !== 'CRDT' && p.ind !== 'DBIT') {
          problems.add(no, `TxDtls ${k + 1}: CdtDbtInd "${p.ind.slice(0, 10)}" must be CRDT or DBIT${at}`, 'TxDtls/CdtDbtInd');
          ok = false;
        }
        seen(p.ccy, no);
      });
      if (!ok) return;
      const signed = parts.map((p) => (p.ind === 'DBIT' ? p.amount!.negated() : p.amount!));
      const total = signed.reduce((a, b) => a.plus(b), new Decimal(0));
      if (!total.eq(entryAmount)) {
        problems.add(no, `the ${parts.length} transaction details add up to ${total.toFixed(2)}, the entry's amount is ${entryAmount.toFixed(2)}${at}`, 'TxDtls/Amt');
        return;
      }
      parts.forEach((p, k) => lines.push(lineOf(n, p.tx, p.ind, no, date, signed[k]!, problems, parts.length)));
      return;
    }
    // One line for the entry; a batch without amounts per part stays whole (its parts cannot be told apart).
    lines.push(lineOf(n, txs.length > 1 ? {} : txs[0] ?? {}, ind, no, date, entryAmount, problems, 1));
  });
  const { periodFrom, periodTo } = derivePeriod(
    { from: parseBankDate(text(stmt?.FrToDt?.FrDtTm ?? stmt?.FrToDt?.FrDt ?? '')), to: periodEnd(text(stmt?.FrToDt?.ToDtTm ?? stmt?.FrToDt?.ToDt ?? ''), text(stmt?.FrToDt?.FrDtTm ?? '')) },
    closing.date, lines,
  );
  if (opening.amount !== null && closing.amount !== null && problems.list.length === 0) {
    const total = lines.reduce((acc, l) => acc.plus(l.amount), new Decimal(opening.amount));
    if (!total.eq(closing.amount)) {
      problems.add(null, `${where}: its closing balance (CLBD) ${closing.amount} does not agree with its opening balance (OPBD) ${opening.amount} + booked entries (${total.toFixed(2)})`, 'Bal');
    }
  }
  return {
    no, id: text(stmt.Id) || null, account,
    currency: currencies[0]?.currency ?? null, currencies,
    openingBalance: opening.amount, closingBalance: closing.amount,
    periodFrom, periodTo, lines, problems: problems.list as StatementProblem[], fileLine,
  };
}

/** ToDtTm 2026-11-01T00:00:00 (midnight after the last day) ends the day before. */
function periodEnd(raw: string, fromRaw: string): string | null {
  const d = parseBankDate(raw);
  if (!d) return null;
  const from = parseBankDate(fromRaw);
  if (/T00:00(:00(\.0+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(raw) && from && d > from) {
    const prev = new Date(Date.parse(`${d}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    return prev;
  }
  return d;
}

/** One statement line of an entry (or of one transaction detail of a batch entry). */
function lineOf(n: Node, tx: Node, ind: string, no: number, date: string, amount: Decimal, problems: Problems, parts: number): ParsedStatementLine {
  const notProvided = (s: string) => (s.toUpperCase() === 'NOTPROVIDED' ? '' : s);
  const e2e = notProvided(text(tx.Refs?.EndToEndId));
  const cdtrRefs = arr<Node>(tx.RmtInf?.Strd).map((s) => text(s?.CdtrRefInf?.Ref)).filter(Boolean);
  const candidates = [e2e, ...cdtrRefs, text(tx.Refs?.AcctSvcrRef), parts > 1 ? '' : text(n.AcctSvcrRef), text(tx.Refs?.TxId), parts > 1 ? '' : text(n.NtryRef)].filter(Boolean);
  const reference = cleanText(candidates[0] ?? text(n.AcctSvcrRef), LIMITS.reference, 'reference', no, problems);
  const ustrd = arr(tx.RmtInf?.Ustrd).map(text).join(' ');
  const base = cleanText(ustrd || text(tx.AddtlTxInf) || arr(n.AddtlNtryInf).map(text).join(' '), LIMITS.description, 'description', no, problems);
  // The other references go after the text, so the matcher sees them all (the ledger may name any one).
  const others = [...new Set([...candidates.slice(1), ...(parts > 1 && text(n.AcctSvcrRef) ? [text(n.AcctSvcrRef)] : [])])]
    .filter((r) => r.length >= 4 && r !== reference && !base.includes(r)); // not a sequence NtryRef such as "2"
  const description = (others.length ? `${base}${base ? ' · ' : ''}Ref ${others.join(' ')}` : base).slice(0, LIMITS.description);
  const party = ind === 'CRDT' ? tx.RltdPties?.Dbtr ?? tx.RltdPties?.UltmtDbtr : tx.RltdPties?.Cdtr ?? tx.RltdPties?.UltmtCdtr;
  const counterparty = cleanText(text(party?.Nm ?? party?.Pty?.Nm), LIMITS.counterparty, 'counterparty', no, problems);
  return { lineNo: no, date, amount: amount.toFixed(2), description, reference: reference || null, counterparty: counterparty || null, balance: null };
}

/**
 * The single-statement reading (the file's only Stmt): kept for callers that take one statement; a file
 * with several is refused here (parseStatementFile picks the fund's one instead).
 */
export function parseCamt053Statement(xml: string): Camt053Result {
  const { statements } = parseCamt053Document(xml);
  const problems = new Problems();
  if (statements.length !== 1) {
    problems.add(null, `the file holds ${statements.length} statements (accounts ${statements.map((s) => s.account ?? '?').join(', ')}); pick one by the fund's bank account`);
    problems.throwIfAny();
  }
  const st = statements[0]!;
  for (const p of st.problems) problems.add(p.line, p.problem, p.column);
  problems.throwIfAny();
  return { lines: st.lines, openingBalance: st.openingBalance, closingBalance: st.closingBalance, currency: st.currency };
}
