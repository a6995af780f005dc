// 银行账户 A household's bank account for relief transfers (issue 17), and what the campaigns domain asks of
// the household files (the files a campaign's rules make eligible). The account (number, name, bank) is sealed
// with DATA_KEY in one column, as ID numbers are; it is shown in full only to the officers of the file's
// district (GET /households/:id/bank-account) and, through `bankAccountsForPayment`, in finance's bank file.
// Everyone else, every log and every public output sees it masked or not at all.
import type { Router } from 'express';
import Joi from 'joi';
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock } from '../platform/clock';
import { forbidden, notFound } from '../platform/errors';
import { decryptPersonal, encryptPersonal } from '../platform/personal-data';
import { maskName } from '../platform/masking';
import { appendAudit } from '../audit';
import { canSeeDistrict, type SessionUser } from '../auth';
import { defineRoute, type AppContext } from '../http/route';
import { decodeHousehold, type Category, type Cause, type HouseholdStatus } from './model';
import { canWriteDistrict, publicOf } from './service';

export interface BankAccount {
  accountNo: string;
  accountName: string;
  bankName: string;
}

/** 6222021234567890123 → 6222***********0123: the first four and last four digits. */
export const maskAccountNo = (no: string) => (no.length <= 8 ? '*'.repeat(no.length) : `${no.slice(0, 4)}${'*'.repeat(no.length - 8)}${no.slice(-4)}`);

export const maskBankAccount = (a: BankAccount): BankAccount & { masked: true } => ({ accountNo: maskAccountNo(a.accountNo), accountName: maskName(a.accountName), bankName: a.bankName, masked: true });

const seal = (a: BankAccount) => encryptPersonal(JSON.stringify({ n: a.accountNo, a: a.accountName, b: a.bankName }));
function open(sealed: string): BankAccount {
  const v = JSON.parse(decryptPersonal(sealed)) as { n: string; a: string; b: string };
  return { accountNo: v.n, accountName: v.a, bankName: v.b };
}

/** Full account only for an officer of the file's district (the people who collect it); masked for everyone else. */
export const seesBankAccount = (u: SessionUser, district: string) => u.roles.includes('officer') && u.district === district;

async function fileOf(db: Db, viewer: SessionUser, id: number) {
  const raw = await db('households').where({ id }).first();
  const row = raw ? decodeHousehold(raw) : undefined;
  if (!row || !canSeeDistrict(viewer, row.district)) throw notFound(`household ${id}`);
  return { row, sealed: (raw as { bank_account_enc: string | null }).bank_account_enc };
}

export async function getBankAccount(db: Db, viewer: SessionUser, id: number) {
  const { row, sealed } = await fileOf(db, viewer, id);
  if (!sealed) return { householdId: id, bankAccount: null };
  const account = open(sealed);
  return { householdId: id, bankAccount: seesBankAccount(viewer, row.district) ? { ...account, masked: false } : maskBankAccount(account) };
}

/** Sets (or with null clears) the account; audited without the number (only that it changed, the bank's name). */
export async function setBankAccount(trx: Knex.Transaction, actor: SessionUser, id: number, account: BankAccount | null) {
  const { row } = await fileOf(trx, actor, id);
  if (!canWriteDistrict(actor, row.district)) throw forbidden(`household ${id} belongs to district ${row.district}`).zh(`档案属于 ${row.district} 区，不能修改`);
  if (row.status === 'archived') throw forbidden('an archived file cannot change').zh('已归档的档案不能修改');
  const normalized = account ? { accountNo: account.accountNo.replace(/[\s-]/g, ''), accountName: account.accountName.trim(), bankName: account.bankName.trim() } : null;
  await trx('households').where({ id }).update({ bank_account_enc: normalized ? seal(normalized) : null, bank_account_updated_at: clock.now(), updated_at: clock.now() });
  await appendAudit(trx, {
    actor: actor.username,
    action: 'household.bank_account_set',
    subject: `household:${id}`,
    publicPayload: publicOf(row, { bankAccountSet: normalized !== null }),
    privatePayload: { bankName: normalized?.bankName ?? null, accountNo: normalized ? maskAccountNo(normalized.accountNo) : null },
  });
  return getBankAccount(trx, actor, id);
}

// ---------------------------------------------------------------------------------------------- contract for campaigns

/** Which of these files have a bank account (nothing decrypted). */
export async function householdsWithBankAccount(db: Db, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows: { id: number }[] = await db('households').whereIn('id', ids).whereNotNull('bank_account_enc').select('id');
  return new Set(rows.map((r) => r.id));
}

/** The accounts in full, for finance's batch-payment file only (the caller checks the role). */
export async function bankAccountsForPayment(db: Db, ids: number[]): Promise<Map<number, BankAccount>> {
  const out = new Map<number, BankAccount>();
  for (let i = 0; i < ids.length; i += 5000) {
    const rows: { id: number; bank_account_enc: string }[] = await db('households').whereIn('id', ids.slice(i, i + 5000)).whereNotNull('bank_account_enc').select('id', 'bank_account_enc');
    for (const r of rows) out.set(r.id, open(r.bank_account_enc));
  }
  return out;
}

export interface EligibilityFilter {
  statuses: HouseholdStatus[];
  categories: Category[];
  /** null: every district. */
  districts: string[] | null;
  /** Leave out files exited in this year (an exit dated in it, whatever the status now). */
  notExitedInYear: number | null;
  /** Read at most this many (the caller refuses more than its limit). */
  limit: number;
}

export interface EligibleFile {
  id: number;
  headName: string;
  district: string;
  category: Category;
  causes: Cause[];
  memberCount: number;
  monthlyIncome: string;
}

/** The files a campaign's eligibility picks: never archived ones. One query, ordered by id. */
export async function eligibleFiles(db: Db, f: EligibilityFilter): Promise<EligibleFile[]> {
  const q = db('households as h')
    .whereIn('h.status', f.statuses.filter((s) => s !== 'archived'))
    .whereIn('h.category', f.categories)
    .orderBy('h.id')
    .limit(f.limit)
    .select('h.id', 'h.head_name', 'h.district', 'h.category', 'h.causes', 'h.member_count', 'h.monthly_income');
  if (f.districts) q.whereIn('h.district', f.districts);
  if (f.notExitedInYear) {
    q.whereNotExists(
      db('household_events as e').whereRaw('e.household_id = h.id').where({ 'e.kind': 'transition', 'e.to_status': 'exited' })
        .whereBetween('e.date', [`${f.notExitedInYear}-01-01`, `${f.notExitedInYear}-12-31`]),
    );
  }
  const rows: { id: number; head_name: string; district: string; category: Category; causes: Cause[]; member_count: number; monthly_income: string }[] = await q;
  return rows.map((r) => ({ id: r.id, headName: r.head_name, district: r.district, category: r.category, causes: r.causes, memberCount: r.member_count, monthlyIncome: r.monthly_income }));
}

// ---------------------------------------------------------------------------------------------- routes

const idParams = Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() });
const plain = (max: number) => Joi.string().trim().min(1).max(max).pattern(/^[^\u0000-\u001f<>]*$/).messages({ 'string.pattern.base': '{{#label}} must not contain control characters or < >' });
export const bankAccountBody = Joi.object({
  accountNo: Joi.string().strict().pattern(/^\d[\d -]{6,38}\d$/).required().messages({ 'string.pattern.base': '{{#label}} must be 8 to 40 digits (spaces and "-" between them allowed)' }),
  accountName: plain(50).required(),
  bankName: plain(100).required(),
});

/** GET/PUT /households/:id/bank-account (mounted by householdRoutes). */
export function bankAccountRoutes(r: Router, app: AppContext) {
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/households/:id/bank-account', tag: 'households', access: ['officer', 'approver', 'admin', 'auditor', 'finance'],
    summary: "The file's bank account (收款账户): in full for the officers of its district, masked for everyone else",
    params: idParams,
    handler: async ({ user, params }) => getBankAccount(app.db, user!, params.id),
  });
  defineRoute<{ bankAccount: BankAccount | null }, unknown, { id: number }>(r, app, {
    method: 'put', path: '/households/:id/bank-account', tag: 'households', access: ['officer', 'admin'], write: true,
    summary: 'Set or clear (null) the bank account for relief transfers; stored encrypted; audited without the number',
    params: idParams,
    body: Joi.object({ bankAccount: bankAccountBody.allow(null).required() }),
    handler: async ({ trx, user, params, body }) => setBankAccount(trx, user!, params.id, body.bankAccount),
  });
}
