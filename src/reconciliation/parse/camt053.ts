import { XMLParser, XMLValidator } from 'fast-xml-parser';

import type { ParsedStatementLine } from '../model';
import { LIMITS, Problems, cleanText, parseBankAmount, parseBankDate } from './common';

const ARRAYS = new Set(['Stmt', 'Bal', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'AddtlNtryInf']);
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
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? String((v as Node)['#text'] ?? '') : String(v));
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface Camt053Result {
  lines: ParsedStatementLine[];
  /** Opening (OPBD/PRCD) and closing (CLBD) booked balances printed in the file, when present. */
  openingBalance: string | null;
  closingBalance: string | null;
  currency: string | null;
}

function balanceOf(stmt: Node, codes: string[]): string | null {
  for (const b of arr<Node>(stmt.Bal)) {
    const code = text(b?.Tp?.CdOrPrtry?.Cd);
    if (!codes.includes(code)) continue;
    const amt = parseBankAmount(text(b.Amt));
    if (!amt) return null;
    return (text(b.CdtDbtInd) === 'DBIT' ? amt.negated() : amt).toFixed(2);
  }
  return null;
}

/**
 * Parses an ISO 20022 camt.053 (BkToCstmrStmt) document: one Stmt, its booked entries (Ntry with Amt,
 * CdtDbtInd, BookgDt, AcctSvcrRef, RmtInf/Ustrd). Entries are numbered 1.. in file order, and problems name
 * that number ("line" = entry). Pending entries (Sts PDNG/INFO) are not part of a statement and are skipped.
 */
export function parseCamt053Statement(xml: string): Camt053Result {
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
  const stmts = arr<Node>(doc?.Document?.BkToCstmrStmt?.Stmt);
  if (stmts.length !== 1) {
    problems.add(null, stmts.length === 0 ? 'no camt.053 statement found (Document/BkToCstmrStmt/Stmt)' : `the file holds ${stmts.length} statements; import them one at a time`);
    problems.throwIfAny();
  }
  const stmt = stmts[0]!;
  const entries = arr<Node>(stmt.Ntry);
  if (entries.length > 50_000) {
    problems.add(null, `the statement has ${entries.length} entries; at most 50000 are taken in one import`);
    problems.throwIfAny();
  }
  const currency = text(stmt?.Acct?.Ccy) || null;
  const lines: ParsedStatementLine[] = [];
  entries.forEach((n, idx) => {
    const no = idx + 1;
    const status = text(n.Sts?.Cd ?? n.Sts);
    if (status === 'PDNG' || status === 'INFO') return;
    const rawAmt = text(n.Amt);
    let amount = parseBankAmount(rawAmt);
    if (!amount || amount.lte(0)) {
      problems.add(no, `Amt "${rawAmt.slice(0, 40)}" is not a positive amount with at most two decimals`, 'Amt');
      amount = null;
    }
    const ccy = typeof n.Amt === 'object' ? n.Amt['@Ccy'] : undefined;
    if (currency && ccy && ccy !== currency) problems.add(no, `currency ${ccy} differs from the account's ${currency}`, 'Amt');
    const ind = text(n.CdtDbtInd);
    if (ind !== 'CRDT' && ind !== 'DBIT') problems.add(no, `CdtDbtInd "${ind.slice(0, 10)}" must be CRDT or DBIT`, 'CdtDbtInd');
    const rawDate = text(n.BookgDt?.Dt ?? n.BookgDt?.DtTm ?? n.ValDt?.Dt ?? '');
    const date = parseBankDate(rawDate);
    if (!date) problems.add(no, rawDate ? `BookgDt "${rawDate.slice(0, 40)}" is not a date` : 'BookgDt is missing', 'BookgDt');
    const tx = arr<Node>(arr<Node>(n.NtryDtls)[0]?.TxDtls)[0] ?? {};
    const ustrd = arr(tx.RmtInf?.Ustrd).map(text).join(' ');
    const description = cleanText(ustrd || arr(n.AddtlNtryInf).map(text).join(' ') || text(tx.AddtlTxInf), LIMITS.description, 'description', no, problems);
    const reference = cleanText(text(n.AcctSvcrRef) || text(tx.Refs?.AcctSvcrRef) || text(tx.Refs?.EndToEndId) || text(n.NtryRef), LIMITS.reference, 'reference', no, problems);
    const party = ind === 'CRDT' ? tx.RltdPties?.Dbtr : tx.RltdPties?.Cdtr;
    const counterparty = cleanText(text(party?.Nm ?? party?.Pty?.Nm), LIMITS.counterparty, 'counterparty', no, problems);
    if (amount && date && (ind === 'CRDT' || ind === 'DBIT')) {
      const signed = ind === 'DBIT' ? amount.negated() : amount;
      lines.push({ lineNo: no, date, amount: signed.toFixed(2), description, reference: reference || null, counterparty: counterparty || null, balance: null });
    }
  });
  problems.throwIfAny();
  return {
    lines,
    openingBalance: balanceOf(stmt, ['OPBD', 'PRCD']),
    closingBalance: balanceOf(stmt, ['CLBD']),
    currency,
  };
}

