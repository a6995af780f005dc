// Group commit of manual postings (issue 15). POST /journal-entries hands its entry here instead of opening a
// transaction of its own: while one group's transaction runs, the postings that arrive queue, and the next
// group takes them all (up to MAX_GROUP) into ONE transaction — their idempotency keys claimed in it, their
// entries written by one call of ledger_post_entries, their audit rows appended by one statement under one
// chain lock, their answers stored, one commit (one WAL flush). The chain head and the year's counter are
// taken once per group instead of once per posting, which is what made commits go one at a time.
// A posting refused in a group (period closed, insufficient funds, key used for another request) is refused
// before anything of it is written, and its key claim is given back in the same transaction: it leaves no
// trace, and the others commit. POST /journal-entries/batch goes the same way, as a group of its own.
// Several instances on one database each group their own postings; the database's locks keep them correct.
import type { Knex } from 'knex';
import { appendAuditBatch, type AuditEntry } from '../audit';
import { claimKeys, finishClaims, type IdempotencyClaim, type WriteResult } from '../http/idempotency';
import { AppError, badRequest, messageZhOf } from '../platform/errors';
import type { EntryInput } from './model';
import { currentRequestId } from '../platform/request-context';
import { POSTED, checkEntry, postingAudit, writeEntriesLockingAuditHead } from './service';

/** The most postings one group commits together (a batch request of up to MAX_BATCH is a group of its own). */
export const MAX_GROUP = 256;
/** The most entries of POST /journal-entries/batch, and the most lines of all its entries together. */
export const MAX_BATCH = 1000;
export const MAX_BATCH_LINES = 20_000;

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock: the transaction was rolled back

interface Single {
  kind: 'single';
  /** The request that handed the posting in: its audit row names it, whichever request's group commits it. */
  requestId?: string;
  actor: string;
  input: EntryInput;
  claim?: IdempotencyClaim;
  done: (r: WriteResult) => void;
  fail: (e: unknown) => void;
}

export interface BatchEntry {
  input: EntryInput;
  claim?: IdempotencyClaim;
  /** Refused before the transaction (checkEntry): never written. */
  error?: AppError;
}

interface Batch {
  kind: 'batch';
  requestId?: string;
  actor: string;
  atomic: boolean;
  entries: BatchEntry[];
  claim?: IdempotencyClaim;
  done: (r: WriteResult) => void;
  fail: (e: unknown) => void;
}

type Job = Single | Batch;

/** An error as the HTTP answer shows it (the body of a per-entry refusal in a batch's results). */
export const errorBody = (e: AppError) => ({ error: { code: e.code, message: e.message, messageZh: messageZhOf(e.code, e.messageZh), details: e.details ?? null } });

const claimId = (c: IdempotencyClaim) => `${c.userId}\u0000${c.key}`;

/** An error thrown inside a group's transaction that stands for the answer of one job, after rolling back. */
class Refused extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
  }
}

export class PostingBatcher {
  private queue: Job[] = [];
  private running = false;

  constructor(private readonly db: Knex) {}

  /** One manual posting (POST /journal-entries): checked here, then committed with whatever else is queued. */
  async post(actor: string, input: EntryInput, claim?: IdempotencyClaim): Promise<WriteResult> {
    await checkEntry(this.db, input);
    return new Promise((done, fail) => this.enqueue({ kind: 'single', actor, input, claim, done, fail, requestId: currentRequestId() }));
  }

  /** POST /journal-entries/batch: all-or-nothing (atomic) or per-entry answers; its own transaction. */
  async postBatch(actor: string, atomic: boolean, entries: { input: EntryInput; claim?: IdempotencyClaim }[], claim?: IdempotencyClaim): Promise<WriteResult> {
    const checked: BatchEntry[] = [];
    for (const e of entries) {
      try {
        await checkEntry(this.db, e.input);
        checked.push(e);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        checked.push({ ...e, error: err });
      }
    }
    if (atomic) {
      const refused = checked.flatMap((e, index) => (e.error ? [{ index, error: e.error }] : []));
      if (refused.length) throw batchRefusal(refused);
    }
    return new Promise((done, fail) => this.enqueue({ kind: 'batch', actor, atomic, entries: checked, claim, done, fail, requestId: currentRequestId() }));
  }

  private enqueue(job: Job) {
    this.queue.push(job);
    if (!this.running) void this.drain();
  }

  private async drain() {
    this.running = true;
    try {
      while (this.queue.length) {
        const head = this.queue[0]!;
        if (head.kind === 'batch') {
          this.queue.shift();
          await this.runBatch(head);
          continue;
        }
        // Singles in arrival order, up to MAX_GROUP, at most one per idempotency key (a concurrent retry of
        // the same key waits for the next group, where it finds the first answer committed).
        const group: Single[] = [];
        const keys = new Set<string>();
        const rest: Job[] = [];
        for (const job of this.queue) {
          if (job.kind !== 'single' || group.length >= MAX_GROUP || (job.claim && keys.has(claimId(job.claim)))) {
            rest.push(job);
            continue;
          }
          if (job.claim) keys.add(claimId(job.claim));
          group.push(job);
        }
        this.queue = rest;
        await this.runGroup(group);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * One transaction for the group. A deadlock or serialization failure (rolled back) is retried; any other
   * error before the commit (rolled back too) makes each posting run alone, so it answers only the request
   * that caused it. An error at the commit itself is not retried (it may have committed): every request of the
   * group gets it, and clients retry with their keys as after any failed request.
   */
  private async runGroup(group: Single[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let reachedCommit = false;
      try {
        const answers = await this.db.transaction(async (trx) => {
          const out = await this.postSingles(trx, group);
          reachedCommit = true;
          return out;
        });
        answers.forEach((a, i) => ('error' in a ? group[i]!.fail(a.error) : group[i]!.done(a)));
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (!reachedCommit && code && RETRYABLE.has(code) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
          continue;
        }
        if (!reachedCommit && group.length > 1) {
          for (const one of group) await this.runGroup([one]);
          return;
        }
        for (const one of group) one.fail(e);
        return;
      }
    }
  }

  private async postSingles(trx: Knex.Transaction, group: Single[]): Promise<(WriteResult | { error: AppError })[]> {
    const answers: (WriteResult | { error: AppError } | undefined)[] = group.map(() => undefined);
    const keyed = group.flatMap((job, i) => (job.claim ? [{ i, claim: job.claim }] : []));
    const outcomes = await claimKeys(trx, keyed.map((k) => k.claim));
    keyed.forEach((k, n) => {
      const o = outcomes[n]!;
      if (!o.claimed) answers[k.i] = 'error' in o ? { error: o.error } : o.replay;
    });
    const toPost = group.flatMap((job, i) => (answers[i] ? [] : [{ i, job }]));
    const { outcomes: written, auditHead } = await writeEntriesLockingAuditHead(trx, toPost.map(({ job }) => ({ actor: job.actor, input: job.input })));
    const audits: AuditEntry[] = [];
    const stored: { claim: IdempotencyClaim; result: WriteResult }[] = [];
    const released: IdempotencyClaim[] = [];
    toPost.forEach(({ i, job }, n) => {
      const w = written[n]!;
      if ('error' in w) {
        answers[i] = { error: w.error };
        if (job.claim) released.push(job.claim);
        return;
      }
      const result = { status: 201, body: w.entry };
      answers[i] = result;
      audits.push({ ...postingAudit(job.actor, job.input, w.entry, POSTED), requestId: job.requestId });
      if (job.claim) stored.push({ claim: job.claim, result });
    });
    await appendAuditBatch(trx, audits, auditHead);
    await finishClaims(trx, stored, released);
    return answers as (WriteResult | { error: AppError })[];
  }

  private async runBatch(job: Batch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        job.done(await this.db.transaction((trx) => this.postBatchIn(trx, job)));
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (!(e instanceof Refused) && code && RETRYABLE.has(code) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
          continue;
        }
        job.fail(e instanceof Refused ? e.error : e);
        return;
      }
    }
  }

  private async postBatchIn(trx: Knex.Transaction, job: Batch): Promise<WriteResult> {
    if (job.claim) {
      // The batch's own key first: a retried batch gets its first answer whole.
      const [o] = await claimKeys(trx, [job.claim]);
      if (!o!.claimed) {
        if ('error' in o!) throw new Refused(o.error);
        return o!.replay;
      }
    }
    const results: ({ status: number; body: unknown } | undefined)[] = job.entries.map((e) => (e.error ? { status: e.error.status, body: errorBody(e.error) } : undefined));
    const refused: { index: number; error: AppError }[] = job.entries.flatMap((e, index) => (e.error ? [{ index, error: e.error }] : []));
    const keyed = job.entries.flatMap((e, i) => (e.claim && !e.error ? [{ i, claim: e.claim }] : []));
    const outcomes = await claimKeys(trx, keyed.map((k) => k.claim));
    keyed.forEach((k, n) => {
      const o = outcomes[n]!;
      if (o.claimed) return;
      if ('error' in o) {
        results[k.i] = { status: o.error.status, body: errorBody(o.error) };
        refused.push({ index: k.i, error: o.error });
      } else results[k.i] = o.replay;
    });
    const toPost = job.entries.flatMap((e, i) => (results[i] ? [] : [{ i, e }]));
    const { outcomes: written, auditHead } = await writeEntriesLockingAuditHead(trx, toPost.map(({ e }) => ({ actor: job.actor, input: e.input })));
    const audits: AuditEntry[] = [];
    const stored: { claim: IdempotencyClaim; result: WriteResult }[] = [];
    const released: IdempotencyClaim[] = [];
    toPost.forEach(({ i, e }, n) => {
      const w = written[n]!;
      if ('error' in w) {
        results[i] = { status: w.error.status, body: errorBody(w.error) };
        refused.push({ index: i, error: w.error });
        if (e.claim) released.push(e.claim);
        return;
      }
      results[i] = { status: 201, body: w.entry };
      audits.push({ ...postingAudit(job.actor, e.input, w.entry, POSTED), requestId: job.requestId });
      if (e.claim) stored.push({ claim: e.claim, result: results[i]! });
    });
    // All or nothing: one refusal rolls the whole batch back (no entry, no audit row, no key kept).
    if (job.atomic && refused.length) throw new Refused(batchRefusal(refused.sort((a, b) => a.index - b.index)));
    await appendAuditBatch(trx, audits, auditHead);
    await finishClaims(trx, stored, released);
    const posted = results.filter((r) => r!.status === 201).length;
    const answer: WriteResult = {
      status: job.atomic ? 201 : 200,
      body: { atomic: job.atomic, posted, refused: results.length - posted, results: results.map((r, index) => ({ index, status: r!.status, body: r!.body })) },
    };
    if (job.claim) await finishClaims(trx, [{ claim: job.claim, result: answer }]);
    return answer;
  }
}

/** The answer to an all-or-nothing batch with refused entries: the first refusal's status and code, every refusal in details. */
function batchRefusal(refused: { index: number; error: AppError }[]): AppError {
  const first = refused[0]!;
  const e = new AppError(first.error.status, first.error.code, `entry ${first.index} of the batch was refused, so none was posted: ${first.error.message}`, {
    index: first.index,
    ...(first.error.details && typeof first.error.details === 'object' && !Array.isArray(first.error.details) ? first.error.details : { problems: first.error.details ?? null }),
    refused: refused.map((r) => ({ index: r.index, ...errorBody(r.error).error })),
  });
  return e.zh(`批量凭证第 ${first.index} 条被拒绝，全部未记账：${messageZhOf(first.error.code, first.error.messageZh) ?? first.error.message}`);
}

export function tooManyLines(count: number) {
  return badRequest(`a batch holds at most ${MAX_BATCH_LINES} lines in all (this one has ${count})`, [{ in: 'body', path: 'entries', message: `at most ${MAX_BATCH_LINES} lines in all` }]);
}

const batchers = new WeakMap<Knex, PostingBatcher>();

/** The instance's one group-commit queue for this pool: manual postings, batches and campaign payments share it. */
export function postingBatcherFor(db: Knex): PostingBatcher {
  let b = batchers.get(db);
  if (!b) batchers.set(db, (b = new PostingBatcher(db)));
  return b;
}
