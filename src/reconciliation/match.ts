// The auto-match: a pure function from unmatched statement lines and unmatched ledger 1002 lines to
// one-to-one matches. It never guesses: a pair is taken only when it is the only candidate from both sides.
import { Decimal } from '../platform/money';
import type { LedgerBankLine, MatchRule } from './model';

export interface MatchableStatementLine {
  id: number;
  date: string;
  amount: string;
  description: string;
  reference: string | null;
  counterparty?: string | null;
}

export interface ProposedMatch {
  statementLineId: number;
  ledgerLineId: number;
  rule: Exclude<MatchRule, 'manual'>;
  /** 0..100: how sure the rule is (reference beats amount and date; fewer days apart beats more). */
  score: number;
  dayDiff: number;
}

export interface AmbiguousLine {
  statementLineId: number;
  /** Ledger lines of the same amount and side inside the window (at most 10 listed), for a person to pick. */
  candidateLedgerLineIds: number[];
}

export interface MatchResult {
  matches: ProposedMatch[];
  ambiguous: AmbiguousLine[];
  /** Ledger lines left out because their entry was reversed (and the reversal that cancels each). */
  cancelledLedgerLineIds: number[];
}

const DAY_MS = 86_400_000;
export const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const CANONICAL = /^-?(0|[1-9]\d*)\.\d\d$/;
const amountKey = (amount: string) => (CANONICAL.test(amount) && amount !== '-0.00' ? amount : new Decimal(amount).toFixed(2));

/** Identifiers worth looking for in the other side's text: 6+ characters, a digit and a letter or hyphen. */
const TOKEN = /[A-Z0-9][A-Z0-9_/-]{4,}[A-Z0-9]/g;
export function referenceTokens(...texts: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    if (!t) continue;
    for (const m of t.toUpperCase().matchAll(TOKEN)) {
      const tok = m[0];
      if (/\d/.test(tok) && /[A-Z_/-]/.test(tok)) out.add(tok);
    }
  }
  return [...out];
}

/**
 * Pairs each reversed ledger line with the reversal line that cancels it (opposite amount, naming the
 * original's entry number or id in its source reference or description). Both stay out of auto-matching:
 * the ledger cancels them itself, the bank never sees them.
 */
export function cancelledPairs(lines: LedgerBankLine[]): Set<number> {
  const out = new Set<number>();
  const byAmount = new Map<string, LedgerBankLine[]>();
  for (const l of lines) if (!l.reversed) {
    const k = amountKey(l.amount);
    (byAmount.get(k) ?? byAmount.set(k, []).get(k)!).push(l);
  }
  for (const l of lines) {
    if (!l.reversed) continue;
    out.add(l.lineId);
    const opposite = byAmount.get(amountKey(new Decimal(l.amount).negated().toFixed(2))) ?? [];
    const r = opposite.find((c) => !out.has(c.lineId) && c.entryId !== l.entryId && (
      c.sourceRef === l.entryNumber || c.sourceRef === String(l.entryId) ||
      (l.entryNumber && `${c.description} ${c.memo ?? ''}`.includes(l.entryNumber))));
    if (r) out.add(r.lineId);
  }
  return out;
}

interface Group<T> {
  days: number[];
  items: T[];
}

function groupByAmount<T>(items: T[], amountOf: (t: T) => string, dayOf: (t: T) => number): Map<string, Group<T>> {
  const groups = new Map<string, Group<T>>();
  const sorted = items.map((t) => ({ t, d: dayOf(t) })).sort((a, b) => a.d - b.d);
  for (const { t, d } of sorted) {
    const k = amountKey(amountOf(t));
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { days: [], items: [] }));
    g.days.push(d);
    g.items.push(t);
  }
  return groups;
}

function lowerBound(a: number[], x: number) {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [start, end) of a group's items whose day is within ±window of day. */
function windowRange(g: Group<unknown> | undefined, day: number, window: number): [number, number] {
  if (!g) return [0, 0];
  return [lowerBound(g.days, day - window), lowerBound(g.days, day + window + 1)];
}

/**
 * Rules, in order:
 * 1. `reference`: same amount and side, inside the window, and the bank line's reference/description names
 *    the ledger line's source reference, entry number or case number (or the ledger names the bank's
 *    reference); taken when it is the only such candidate and no other bank line names that ledger line.
 * 2. `amount_date`: same amount and side, inside the window, and the only candidate from both sides.
 * Anything else (two payments of the same amount on nearby days, a split payment) is left for a person.
 * Runs in O((n + m) log m): lines are grouped by amount and searched by date, never compared all to all.
 */
export function autoMatch(allStatementLines: MatchableStatementLine[], ledgerLines: LedgerBankLine[], opts: { windowDays: number }): MatchResult {
  const w = opts.windowDays;
  // Information lines (amount 0: interest tax of 0.00, notices) never match.
  const statementLines = allStatementLines.filter((s) => !new Decimal(s.amount).isZero());
  const cancelled = cancelledPairs(ledgerLines);
  const usable = ledgerLines.filter((l) => !cancelled.has(l.lineId));
  const matches: ProposedMatch[] = [];
  const takenS = new Set<number>();
  const takenL = new Set<number>();

  // Pass 1: reference evidence.
  const ledgerGroups = groupByAmount(usable, (l) => l.amount, (l) => dayNumber(l.date));
  const tokensOf = new Map<number, string[]>();
  const ledgerText = new Map<number, string>();
  const proposals = new Map<number, { s: MatchableStatementLine; l: LedgerBankLine; dayDiff: number }[]>();
  for (const s of statementLines) {
    const day = dayNumber(s.date);
    const g = ledgerGroups.get(amountKey(s.amount));
    const [a, b] = windowRange(g, day, w);
    if (b - a === 0 || b - a > 200) continue;
    const sText = `${s.reference ?? ''} ${s.description}`.toUpperCase();
    const sRef = (s.reference ?? '').toUpperCase().trim();
    const hits: LedgerBankLine[] = [];
    for (let i = a; i < b; i++) {
      const l = g!.items[i]!;
      let toks = tokensOf.get(l.lineId);
      if (!toks) {
        toks = referenceTokens(l.sourceRef, l.entryNumber, l.description, l.memo);
        if (l.sourceRef && l.sourceRef.trim().length >= 4) toks.push(l.sourceRef.trim().toUpperCase());
        tokensOf.set(l.lineId, toks);
        ledgerText.set(l.lineId, `${l.sourceRef ?? ''} ${l.description} ${l.memo ?? ''}`.toUpperCase());
      }
      const named = toks.some((t) => sText.includes(t)) || (sRef.length >= 4 && ledgerText.get(l.lineId)!.includes(sRef));
      if (named) hits.push(l);
    }
    if (hits.length !== 1) continue;
    const l = hits[0]!;
    const list = proposals.get(l.lineId) ?? [];
    list.push({ s, l, dayDiff: Math.abs(dayNumber(l.date) - day) });
    proposals.set(l.lineId, list);
  }
  for (const list of proposals.values()) {
    if (list.length !== 1) continue;
    const { s, l, dayDiff } = list[0]!;
    matches.push({ statementLineId: s.id, ledgerLineId: l.lineId, rule: 'reference', score: Math.max(60, 100 - 2 * dayDiff), dayDiff });
    takenS.add(s.id);
    takenL.add(l.lineId);
  }

  // Pass 2: amount and date, unique from both sides among what is left.
  const restS = statementLines.filter((s) => !takenS.has(s.id));
  const restL = usable.filter((l) => !takenL.has(l.lineId));
  const lg = groupByAmount(restL, (l) => l.amount, (l) => dayNumber(l.date));
  const sg = groupByAmount(restS, (s) => s.amount, (s) => dayNumber(s.date));
  const ambiguous: AmbiguousLine[] = [];
  for (const s of restS) {
    const day = dayNumber(s.date);
    const key = amountKey(s.amount);
    const g = lg.get(key);
    const [a, b] = windowRange(g, day, w);
    if (b - a === 1) {
      const l = g!.items[a]!;
      const lday = g!.days[a]!;
      const [sa, sb] = windowRange(sg.get(key), lday, w);
      if (sb - sa === 1) {
        const dayDiff = Math.abs(lday - day);
        matches.push({ statementLineId: s.id, ledgerLineId: l.lineId, rule: 'amount_date', score: Math.max(50, 90 - 10 * dayDiff), dayDiff });
        continue;
      }
    }
    if (b - a >= 1) ambiguous.push({ statementLineId: s.id, candidateLedgerLineIds: g!.items.slice(a, Math.min(b, a + 10)).map((l) => l.lineId) });
  }
  matches.sort((x, y) => x.statementLineId - y.statementLineId);
  return { matches, ambiguous, cancelledLedgerLineIds: [...cancelled] };
}
