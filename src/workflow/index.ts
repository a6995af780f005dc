// A workflow declared as data (states, transitions, who, guards, what is recorded) and the one function that
// applies a transition in the caller's transaction: guards, new state, timeline row, audit row (last).
import type { Knex } from 'knex';
import { clock } from '../platform/clock';
import { AppError, forbidden, invalidState } from '../platform/errors';
import { money } from '../platform/money';
import { appendAudit } from '../audit';
import type { Role, SessionUser } from '../auth';

export { amountTierGuard, secondApproverGuard } from './tiers';

/** Who takes a step: a logged-in user, an anonymous member of the public, or the system (jobs, automatic moves). */
export type WorkflowActor = SessionUser | 'public' | 'system';

/** The columns every workflow row has; the rest is the workflow's own. */
export interface WorkflowRow<S extends string = string> {
  id: number;
  status: S;
  district: string | null;
}

export type Bilingual = { en: string; zh: string };

/** Maker-checker: the actors of these earlier steps (timeline actions) may not take this one. */
export interface MakerChecker<R> {
  earlier: readonly string[];
  /** The refusal, told which earlier step the actor took. */
  message: (row: R, earlierStep: string) => Bilingual;
}

/** Any other guard: null when it passes, else the refusal (one code per guard). */
export type Guard<R, I> = { name: string; describe: string; check: (trx: Knex.Transaction, row: R, input: I, actor: WorkflowActor) => Promise<AppError | null> | AppError | null };

/** Tier by amount (one code, `tier` unless the workflow keeps an older one): the amount picks a tier, the actor must fit it. */
export function tierGuard<R, I>(g: { amount: (row: R, input: I) => string; fits: (actor: SessionUser, amount: string, row: R) => boolean; refusal: (row: R, amount: string) => AppError }): Guard<R, I> {
  return {
    name: 'tier',
    describe: 'the amount picks the tier; the actor must fit it',
    check: (_trx, row, input, actor) => {
      const amount = g.amount(row, input);
      return typeof actor === 'string' || !g.fits(actor, amount, row) ? g.refusal(row, amount) : null;
    },
  };
}

export interface Transition<S extends string, R extends WorkflowRow<S>, I = unknown> {
  from: readonly S[];
  /** The new state; 'same' records a step that keeps the state (a timeline row and an audit row, no move). */
  to: S | 'same';
  /** The timeline action and audit verb (`<audit prefix>.<records>`). */
  records: string;
  /** The verb in refusals when it is not the transition's name ('approve' for every way of approving). */
  verb?: string;
  /** Its Chinese in refusals when it is not `zh` ('审批' for every way of approving). */
  verbZh?: string;
  /** Roles that may take it, or 'system' / 'public'. */
  by: readonly Role[] | 'system' | 'public';
  /** Users with a district act only on rows of their district. */
  districtScoped?: boolean;
  makerChecker?: MakerChecker<R>;
  /** Checked in this order after state, who, district and maker-checker. */
  guards?: readonly Guard<R, I>[];
  zh: string;
}

/** The step that makes a row: from no state to the first one (`created` on the timeline, from_status null). */
export interface Creation<S extends string> {
  to: S;
  records: string;
  by: readonly Role[] | 'system' | 'public';
  zh: string;
}

export interface WorkflowSpec<S extends string, R extends WorkflowRow<S>> {
  name: string;
  states: readonly S[];
  statesZh: Record<S, string>;
  table: string;
  /** The timeline table and its foreign key: columns action, from_status, to_status, actor_id, actor, amount, note, at. */
  timeline: { table: string; key: string };
  auditPrefix: string;
  subject: (row: R) => string;
  /** How refusals name the row: `{en: 'case', zh: '案件 2026-CY-0001 ', details: {caseNo}}`. */
  refer: (row: R) => { en: string; zh: string; details: Record<string, unknown> };
  decode: (raw: Record<string, unknown>) => R;
  publicFacts: (row: R) => Record<string, unknown>;
  privateFacts: (row: R) => Record<string, unknown>;
  /** How a row is made (`wf.create`); checks on the input (does the household exist…) stay with the domain. */
  creation?: Creation<S>;
  transitions: Record<string, Transition<S, R, never>>;
}

export interface StepOptions {
  note?: string | null;
  amount?: string | null;
  /** Columns written with the new state. */
  patch?: Record<string, unknown>;
  /** The domain's own writes that go with the step (e.g. an approval row): run once the guards pass, before the state, timeline and audit rows. */
  before?: () => Promise<void>;
  /** Added to the audit row's public payload (must be masked). */
  publicExtra?: Record<string, unknown>;
}

export interface CreateOptions {
  /** The row's own columns, told the step's time (status and updated_at are written by the workflow). */
  values: (now: Date) => Record<string, unknown>;
  note?: string | null;
  amount?: string | null;
  /** Added to the audit row's public payload (must be masked) and to its private payload. */
  publicExtra?: Record<string, unknown>;
  privateExtra?: Record<string, unknown>;
}

const actorName = (a: WorkflowActor) => (typeof a === 'string' ? a : a.username);
const actorId = (a: WorkflowActor) => (typeof a === 'string' ? null : a.id);

export class Workflow<S extends string, R extends WorkflowRow<S>> {
  constructor(readonly spec: WorkflowSpec<S, R>) {
    if (spec.creation && !spec.states.includes(spec.creation.to)) throw new Error(`workflow ${spec.name}: creation names unknown state ${spec.creation.to}`);
    for (const [name, t] of Object.entries(spec.transitions)) {
      for (const s of [...t.from, ...(t.to === 'same' ? [] : [t.to])]) {
        if (!spec.states.includes(s)) throw new Error(`workflow ${spec.name}: transition ${name} names unknown state ${s}`);
      }
    }
  }

  transition(name: string) {
    const t = this.spec.transitions[name];
    if (!t) throw new Error(`workflow ${this.spec.name} has no transition ${name}`);
    return t as Transition<S, R, unknown>;
  }

  /** The first refusal of the transition's guards, in order: state, who, district, maker-checker, tier, others; null if none. */
  async check<I>(trx: Knex.Transaction, row: R, name: string, actor: WorkflowActor, input?: I): Promise<AppError | null> {
    const t = this.transition(name);
    const { statesZh } = this.spec;
    if (!t.from.includes(row.status)) {
      const ref = this.spec.refer(row);
      return invalidState(`cannot ${t.verb ?? name} a ${ref.en} that is ${row.status}`, { ...ref.details, status: row.status, allowedFrom: t.from })
        .zh(`${ref.zh}当前为「${statesZh[row.status] ?? row.status}」，不能${t.verbZh ?? t.zh}`);
    }
    const who = whoRefusal(name, t, actor);
    if (who) return who;
    if (t.districtScoped && typeof actor !== 'string' && actor.district && row.district && actor.district !== row.district) {
      const ref = this.spec.refer(row);
      return forbidden(`${ref.en} belongs to district ${row.district}`).zh(`${ref.zh}属于 ${row.district} 区，不在您的范围内`);
    }
    if (t.makerChecker && typeof actor !== 'string') {
      const took = await this.earlierStepOf(trx, row, actor.id, t.makerChecker.earlier);
      if (took) {
        const m = t.makerChecker.message(row, took);
        return forbidden(m.en, 'maker_checker').zh(m.zh);
      }
    }
    for (const g of t.guards ?? []) {
      const refusal = await g.check(trx, row, input as I, actor);
      if (refusal) return refusal;
    }
    return null;
  }

  /** The earliest of these steps the user took on this row (from the timeline), if any. */
  private async earlierStepOf(trx: Knex.Transaction, row: R, userId: number, steps: readonly string[]) {
    const { table, key } = this.spec.timeline;
    const hit = await trx(table).where({ [key]: row.id, actor_id: userId }).whereIn('action', steps).orderBy('id').first('action');
    return hit ? String(hit.action) : null;
  }

  /**
   * Applies a transition: checks the guards (throws the first refusal), writes the new state, the timeline row
   * and the audit row, in the caller's transaction. The row must be locked by the caller. Returns the new row.
   */
  async apply<I>(trx: Knex.Transaction, row: R, name: string, actor: WorkflowActor, opts: StepOptions & { input?: I } = {}): Promise<R> {
    const refusal = await this.check(trx, row, name, actor, opts.input);
    if (refusal) throw refusal;
    await opts.before?.();
    return this.write(trx, row, this.transition(name), actor, opts);
  }

  /**
   * Makes a row: checks who may (roles, system or public), inserts it in the creation's state, its timeline row
   * (from_status null) and its audit row (last), in the caller's transaction. Returns the new row.
   */
  async create(trx: Knex.Transaction, actor: WorkflowActor, opts: CreateOptions): Promise<R> {
    const { spec } = this;
    const c = spec.creation;
    if (!c) throw new Error(`workflow ${spec.name} declares no creation`);
    const refusal = whoRefusal('create', c, actor);
    if (refusal) throw refusal;
    const now = clock.now();
    const [raw] = await trx(spec.table).insert({ ...opts.values(now), status: c.to, updated_at: now }).returning('*');
    const row = spec.decode(raw);
    await trx(spec.timeline.table).insert({
      [spec.timeline.key]: row.id, action: c.records, from_status: null, to_status: c.to,
      actor_id: actorId(actor), actor: actorName(actor), amount: opts.amount ?? null, note: opts.note ?? null, at: now,
    });
    await appendAudit(trx, {
      actor: actorName(actor),
      action: `${spec.auditPrefix}.${c.records}`,
      subject: spec.subject(row),
      publicPayload: { ...spec.publicFacts(row), ...opts.publicExtra },
      privatePayload: { ...spec.privateFacts(row), ...opts.privateExtra },
    });
    return row;
  }

  private async write(trx: Knex.Transaction, row: R, t: Transition<S, R, unknown>, actor: WorkflowActor, opts: StepOptions): Promise<R> {
    const { spec } = this;
    const now = clock.now();
    const to = t.to === 'same' ? row.status : t.to;
    const [raw] = await trx(spec.table).where({ id: row.id }).update({ ...opts.patch, status: to, updated_at: now }).returning('*');
    const updated = spec.decode(raw);
    await trx(spec.timeline.table).insert({
      [spec.timeline.key]: row.id, action: t.records, from_status: row.status, to_status: to,
      actor_id: actorId(actor), actor: actorName(actor), amount: opts.amount ?? null, note: opts.note ?? null, at: now,
    });
    await appendAudit(trx, {
      actor: actorName(actor),
      action: `${spec.auditPrefix}.${t.records}`,
      subject: spec.subject(row),
      publicPayload: { ...spec.publicFacts(updated), ...(opts.amount ? { amount: money(opts.amount) } : {}), ...opts.publicExtra },
      privatePayload: { ...spec.privateFacts(row), fromStatus: row.status, toStatus: to, note: opts.note ?? null },
    });
    return updated;
  }

  /** The state table (markdown), generated from the declaration for the docs. */
  stateTable(): string {
    const who = (t: Transition<S, R, unknown>) => (Array.isArray(t.by) ? t.by.join(', ') : t.by) + (t.districtScoped ? ' (own district)' : '');
    const guards = (t: Transition<S, R, unknown>) =>
      [
        t.makerChecker ? `maker-checker: not by the actor of ${t.makerChecker.earlier.join(' / ')}` : '',
        ...(t.guards ?? []).map((g) => `${g.name}: ${g.describe}`),
      ].filter(Boolean).join('; ') || '—';
    const c = this.spec.creation;
    const created = c ? [`| \`create\` ${c.zh} | — | \`${c.to}\` | ${Array.isArray(c.by) ? c.by.join(', ') : c.by} | — | \`${this.spec.auditPrefix}.${c.records}\` |`] : [];
    const rows = Object.entries(this.spec.transitions).map(([name, t0]) => {
      const t = t0 as Transition<S, R, unknown>;
      return `| \`${name}\` ${t.zh} | ${t.from.map((s) => `\`${s}\``).join(', ')} | ${t.to === 'same' ? '(unchanged)' : `\`${t.to}\``} | ${who(t)} | ${guards(t)} | \`${this.spec.auditPrefix}.${t.records}\` |`;
    });
    return ['| transition | from | to | by | guards | records |', '|---|---|---|---|---|---|', ...created, ...rows].join('\n');
  }
}

/** Who may take a step: one of its roles, or exactly the system or the public; null when the actor may. */
function whoRefusal(name: string, t: { by: readonly Role[] | 'system' | 'public'; zh: string }, actor: WorkflowActor) {
  if (Array.isArray(t.by)) {
    if (typeof actor === 'string' || !actor.roles.some((r) => (t.by as readonly Role[]).includes(r))) {
      return forbidden(`${name} needs one of the roles ${t.by.join(', ')}`).zh(`${t.zh}须由以下角色执行：${t.by.join('、')}`);
    }
  } else if (actor !== t.by) {
    return forbidden(`${name} is taken by ${t.by} only`).zh(`${t.zh}只能由${t.by === 'system' ? '系统' : '公众'}执行`);
  }
  return null;
}

export const defineWorkflow = <S extends string, R extends WorkflowRow<S>>(spec: WorkflowSpec<S, R>) => new Workflow<S, R>(spec);

export const TABLE_START = (name: string) => `<!-- state-table:${name}:start (generated by npm run docs:workflows; a test keeps it true) -->`;
export const TABLE_END = (name: string) => `<!-- state-table:${name}:end -->`;

/** Puts a workflow's state table between its markers in a document. */
export function replaceStateTable(doc: string, wf: { spec: { name: string }; stateTable(): string }) {
  const startMark = TABLE_START(wf.spec.name);
  const start = doc.indexOf(startMark);
  const end = doc.indexOf(TABLE_END(wf.spec.name));
  if (start < 0 || end < start) throw new Error(`no state-table markers for ${wf.spec.name}`);
  return `${doc.slice(0, start + startMark.length)}\n${wf.stateTable()}\n${doc.slice(end)}`;
}
