// How a repayment is split (pure): penalty, interest and principal in the configured order (default
// penalty → interest → principal, LOAN_ALLOCATION_ORDER), each across the instalments due by the payment
// date, oldest first; then, paid early, the current instalment (whose period holds the date) in full and the
// principal of later ones in due order. Once all principal is paid, the interest of instalments not yet
// begun is waived. docs/loans.md.
import { Decimal } from '../platform/money';
import type { Component } from './model';

export interface OpenInstalment {
  no: number;
  dueDate: string;
  /** Unpaid principal and unpaid borrower interest (interest − subsidy − paid − waived). */
  principal: Decimal.Value;
  interest: Decimal.Value;
}

export interface Allocation {
  penalty: Decimal;
  interest: Decimal;
  principal: Decimal;
  /** Per instalment touched: what this payment pays of it. */
  lines: { no: number; interest: Decimal; principal: Decimal }[];
  /** Instalments whose remaining interest is waived because the loan's principal is paid off early. */
  waived: { no: number; interest: Decimal }[];
}

/**
 * The instalment whose period holds the date: the open one due after it, unless `currentNo` (the schedule's
 * first instalment due after the date, open or not) says that period's instalment is already paid — then no
 * open instalment has begun and none is taken in full.
 */
function currentOf(items: readonly { no: number; dueDate: string }[], date: string, currentNo?: number) {
  const next = items.find((i) => i.dueDate > date);
  return next && (currentNo === undefined || next.no === currentNo) ? next.no : null;
}

/** The most the loan takes on this date: penalty, everything due, the current instalment, all later principal. */
export function payoffAmount(penalty: Decimal.Value, items: readonly OpenInstalment[], date: string, currentNo?: number): Decimal {
  let total = new Decimal(penalty);
  const sorted = [...items].sort((a, b) => a.no - b.no);
  const current = currentOf(sorted, date, currentNo);
  for (const i of sorted) {
    total = total.plus(i.principal);
    if (i.dueDate <= date || i.no === current) total = total.plus(i.interest);
  }
  return total;
}

/** Splits an amount (≤ the payoff amount; the caller refuses more) over penalty and instalments. */
export function allocate(amount: Decimal.Value, penaltyOutstanding: Decimal.Value, items: readonly OpenInstalment[], date: string, order: readonly Component[], currentNo?: number): Allocation {
  let left = new Decimal(amount);
  const sorted = [...items].sort((a, b) => a.no - b.no);
  const state = sorted.map((i) => ({ no: i.no, dueDate: i.dueDate, principal: new Decimal(i.principal), interest: new Decimal(i.interest), paidI: new Decimal(0), paidP: new Decimal(0) }));
  let penalty = new Decimal(0);
  const take = (owed: Decimal) => {
    const x = Decimal.min(left, owed);
    left = left.minus(x);
    return x;
  };
  const payComponent = (c: Component, rows: typeof state) => {
    if (c === 'penalty') penalty = penalty.plus(take(new Decimal(penaltyOutstanding).minus(penalty)));
    for (const s of rows) {
      if (c === 'interest') s.paidI = s.paidI.plus(take(s.interest.minus(s.paidI)));
      if (c === 'principal') s.paidP = s.paidP.plus(take(s.principal.minus(s.paidP)));
    }
  };
  const due = state.filter((s) => s.dueDate <= date);
  for (const c of order) payComponent(c, due);
  // Paid early: the current instalment in full (its period has begun), then later principal in due order.
  const future = state.filter((s) => s.dueDate > date);
  const currentIdx = currentOf(future, date, currentNo);
  const current = future.filter((s) => s.no === currentIdx);
  const notBegun = future.filter((s) => s.no !== currentIdx);
  if (future.length && left.gt(0)) {
    for (const c of order) if (c !== 'penalty') payComponent(c, current);
    for (const s of notBegun) s.paidP = s.paidP.plus(take(s.principal.minus(s.paidP)));
  }
  const allPrincipalPaid = state.every((s) => s.paidP.eq(s.principal));
  const waived = allPrincipalPaid ? notBegun.filter((s) => s.interest.gt(s.paidI)).map((s) => ({ no: s.no, interest: s.interest.minus(s.paidI) })) : [];
  const lines = state.filter((s) => s.paidI.gt(0) || s.paidP.gt(0)).map((s) => ({ no: s.no, interest: s.paidI, principal: s.paidP }));
  return {
    penalty,
    interest: lines.reduce((t, l) => t.plus(l.interest), new Decimal(0)),
    principal: lines.reduce((t, l) => t.plus(l.principal), new Decimal(0)),
    lines,
    waived,
  };
}
