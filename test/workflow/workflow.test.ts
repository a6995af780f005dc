import { expect } from 'chai';
import fs from 'node:fs';
import type { Knex } from 'knex';
import { testService } from '../support/env';
import { createKnex } from '../../src/platform/db';
import { AppError, unprocessable } from '../../src/platform/errors';
import { Decimal } from '../../src/platform/money';
import type { SessionUser } from '../../src/auth';
import { defineWorkflow, replaceStateTable, tierGuard, type WorkflowRow } from '../../src/workflow';
import { aidWorkflow } from '../../src/aid/workflow';

// A toy workflow on a toy table made for this run: the module on its own, against the real database.
type ToyState = 'draft' | 'checked' | 'approved' | 'done' | 'dropped';
interface ToyRow extends WorkflowRow<ToyState> {
  amount: string;
  ready: boolean;
}

const suffix = `${process.pid}_${Date.now() % 100000}`;
const table = `toy_items_${suffix}`;
const timeline = `toy_item_events_${suffix}`;

const toy = defineWorkflow<ToyState, ToyRow>({
  name: 'toy',
  states: ['draft', 'checked', 'approved', 'done', 'dropped'],
  statesZh: { draft: '草稿', checked: '已核', approved: '已批', done: '完成', dropped: '放弃' },
  table,
  timeline: { table: timeline, key: 'item_id' },
  auditPrefix: 'toy',
  subject: (r) => `toy:${r.id}`,
  refer: (r) => ({ en: 'toy item', zh: `事项 ${r.id} `, details: { item: r.id } }),
  decode: (r) => ({ id: Number(r.id), status: r.status as ToyState, district: (r.district as string | null) ?? null, amount: String(r.amount), ready: Boolean(r.ready) }),
  publicFacts: (r) => ({ item: r.id, status: r.status }),
  privateFacts: (r) => ({ itemId: r.id }),
  creation: { to: 'draft', records: 'created', by: ['officer'], zh: '新建' },
  transitions: {
    check: {
      from: ['draft'], to: 'checked', records: 'checked', by: ['officer'], districtScoped: true, zh: '核对',
      makerChecker: { earlier: ['created'], message: () => ({ en: 'the maker cannot check', zh: '经办人不能核对' }) },
    },
    approve: {
      from: ['checked'], to: 'approved', records: 'approved', by: ['approver'], districtScoped: true, zh: '批准',
      makerChecker: { earlier: ['created', 'checked'], message: (_r, step) => ({ en: `the actor of ${step} cannot approve`, zh: `${step} 的人不能批准` }) },
      guards: [
        tierGuard<ToyRow, unknown>({
          amount: (r) => r.amount,
          fits: (u, amount) => !u.district || new Decimal(amount).lte(100),
          refusal: (_r, amount) => new AppError(403, 'tier', `an amount of ${amount} needs a city-wide approver`).zh(`金额 ${amount} 须由市级审批人批准`),
        }),
      ],
    },
    finish: {
      from: ['approved'], to: 'done', records: 'finished', by: 'system', zh: '完成',
      guards: [{ name: 'ready', describe: 'the item is ready', check: (_t, r) => (r.ready ? null : unprocessable('not_ready', 'the item is not ready').zh('事项尚未就绪')) }],
    },
    note: { from: ['draft', 'checked', 'approved'], to: 'same', records: 'noted', by: 'public', zh: '留言' },
  },
});

const user = (id: number, roles: SessionUser['roles'], district: string | null = 'CY'): SessionUser => ({ id, username: `toy-user-${id}`, displayName: 'x', roles, district });
const maker = user(900001, ['officer']);
const checker = user(900002, ['officer']);
const districtApprover = user(900003, ['approver']);
const cityApprover = user(900004, ['approver'], null);

describe('workflow module (a toy workflow on the real database)', () => {
  let owner: Knex;
  const db = () => testService().ctx.db;

  before(async () => {
    owner = createKnex(testService().ownerUrl);
    const { rows } = await db().raw('SELECT current_user AS me');
    await owner.schema.createTable(table, (t) => {
      t.increments('id');
      t.string('status', 12).notNullable();
      t.string('district', 8);
      t.decimal('amount', 18, 2).notNullable();
      t.boolean('ready').notNullable().defaultTo(false);
      t.timestamp('updated_at', { useTz: true });
    });
    await owner.schema.createTable(timeline, (t) => {
      t.bigIncrements('id');
      t.integer('item_id').notNullable();
      t.string('action', 32).notNullable();
      t.string('from_status', 12);
      t.string('to_status', 12).notNullable();
      t.integer('actor_id');
      t.string('actor', 100).notNullable();
      t.decimal('amount', 18, 2);
      t.string('note', 2000);
      t.timestamp('at', { useTz: true }).notNullable();
    });
    for (const t of [table, timeline]) await owner.raw(`GRANT SELECT, INSERT, UPDATE ON ${t} TO ${rows[0].me}`);
    await owner.raw(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${rows[0].me}`);
  });

  after(async () => {
    await owner.schema.dropTableIfExists(timeline);
    await owner.schema.dropTableIfExists(table);
    await owner.destroy();
  });

  /** A draft made by `maker`, with its 'created' timeline row. */
  async function newItem(amount: string, district = 'CY') {
    return db().transaction(async (trx) => {
      const [raw] = await trx(table).insert({ status: 'draft', district, amount, ready: false }).returning('*');
      await trx(timeline).insert({ item_id: raw.id, action: 'created', to_status: 'draft', actor_id: maker.id, actor: maker.username, at: new Date() });
      return toy.spec.decode(raw);
    });
  }
  const load = async (trx: Knex.Transaction, id: number) => toy.spec.decode(await trx(table).where({ id }).forUpdate().first());
  const step = (id: number, name: string, actor: Parameters<typeof toy.apply>[3], opts = {}) =>
    db().transaction(async (trx) => toy.apply(trx, await load(trx, id), name, actor, opts));
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  };
  const auditRows = async (id: number) => db()('audit_log').where({ subject: `toy:${id}` }).orderBy('seq').select('action', 'actor', 'public_payload', 'private_payload');

  it('applies a transition: new state, timeline row, audit row, all in the caller’s transaction', async () => {
    const item = await newItem('50.00');
    const after = await step(item.id, 'check', checker, { note: 'looks right', amount: '50' });
    expect(after.status).to.equal('checked');
    const events = await db()(timeline).where({ item_id: item.id }).orderBy('id');
    expect(events.map((e) => [e.action, e.from_status, e.to_status, e.actor_id])).to.deep.equal([['created', null, 'draft', maker.id], ['checked', 'draft', 'checked', checker.id]]);
    const audit = await auditRows(item.id);
    expect(audit).to.have.length(1);
    expect(audit[0].action).to.equal('toy.checked');
    expect(audit[0].actor).to.equal(checker.username);
    expect(JSON.parse(audit[0].public_payload)).to.deep.equal({ item: item.id, status: 'checked', amount: '50.00' });
    expect(JSON.parse(audit[0].private_payload)).to.include({ itemId: item.id, fromStatus: 'draft', toStatus: 'checked', note: 'looks right' });

    // a step that keeps its state still records; a rolled-back caller writes nothing
    await step(item.id, 'note', 'public');
    expect((await db()(table).where({ id: item.id }).first()).status).to.equal('checked');
    await db().transaction(async (trx) => {
      await toy.apply(trx, await load(trx, item.id), 'approve', cityApprover);
      await trx.rollback(new Error('caller gives up'));
    }).catch(() => undefined);
    expect((await db()(table).where({ id: item.id }).first()).status).to.equal('checked');
    expect((await auditRows(item.id)).map((a) => a.action)).to.deep.equal(['toy.checked', 'toy.noted']);
  });

  it('refuses with one code per guard, in English and Chinese, and writes nothing', async () => {
    const item = await newItem('500.00');
    const before = await auditRows(item.id);
    const wrongState = await refusal(step(item.id, 'approve', cityApprover));
    expect([wrongState.status, wrongState.code]).to.deep.equal([409, 'invalid_state']);
    expect(wrongState.message).to.equal('cannot approve a toy item that is draft');
    expect(wrongState.messageZh).to.equal(`事项 ${item.id} 当前为「草稿」，不能批准`);

    const wrongRole = await refusal(step(item.id, 'check', districtApprover));
    expect([wrongRole.status, wrongRole.code]).to.deep.equal([403, 'forbidden']);
    const wrongDistrict = await refusal(step(item.id, 'check', user(900005, ['officer'], 'HD')));
    expect(wrongDistrict.code).to.equal('forbidden');
    expect(wrongDistrict.messageZh).to.match(/属于 CY 区/);
    expect((await refusal(step(item.id, 'note', checker))).code).to.equal('forbidden'); // public only

    const maker1 = await refusal(step(item.id, 'check', maker));
    expect([maker1.status, maker1.code, maker1.message, maker1.messageZh]).to.deep.equal([403, 'maker_checker', 'the maker cannot check', '经办人不能核对']);
    await step(item.id, 'check', checker);
    // the maker and the checker may both never approve; the refusal names the earlier step
    const mc = await refusal(step(item.id, 'approve', user(maker.id, ['approver'], null)));
    expect([mc.code, mc.message]).to.deep.equal(['maker_checker', 'the actor of created cannot approve']);
    expect((await refusal(step(item.id, 'approve', user(checker.id, ['officer', 'approver'], null)))).message).to.equal('the actor of checked cannot approve');

    const tier = await refusal(step(item.id, 'approve', districtApprover));
    expect([tier.status, tier.code, tier.messageZh]).to.deep.equal([403, 'tier', '金额 500.00 须由市级审批人批准']);
    expect((await auditRows(item.id)).length).to.equal(before.length + 1); // only the check
    expect((await db()(table).where({ id: item.id }).first()).status).to.equal('checked');

    await step(item.id, 'approve', cityApprover);
    const notReady = await refusal(step(item.id, 'finish', 'system'));
    expect([notReady.status, notReady.code]).to.deep.equal([422, 'not_ready']);
    await db()(table).where({ id: item.id }).update({ ready: true });
    expect((await step(item.id, 'finish', 'system')).status).to.equal('done');
    expect((await auditRows(item.id)).map((a) => a.action)).to.deep.equal(['toy.checked', 'toy.approved', 'toy.finished']);
  });

  it('a district approver fits the lower tier', async () => {
    const item = await newItem('100.00');
    await step(item.id, 'check', checker);
    expect((await step(item.id, 'approve', districtApprover)).status).to.equal('approved');
  });

  it('check() tells the refusal without writing; a declaration naming an unknown state is refused', async () => {
    const item = await newItem('10.00');
    const r = await db().transaction(async (trx) => toy.check(trx, await load(trx, item.id), 'approve', cityApprover));
    expect(r?.code).to.equal('invalid_state');
    expect(() => defineWorkflow({ ...toy.spec, transitions: { bad: { from: ['nowhere' as ToyState], to: 'done', records: 'x', by: 'system', zh: 'x' } } })).to.throw(/unknown state nowhere/);
  });

  it('creates a row as a step: who may, the first state, a created timeline row (from no state) and an audit row', async () => {
    const wrong = await refusal(db().transaction(async (trx) => toy.create(trx, districtApprover, { values: () => ({ district: 'CY', amount: '1.00' }) })));
    expect([wrong.status, wrong.code]).to.deep.equal([403, 'forbidden']);
    const item = await db().transaction(async (trx) => toy.create(trx, maker, { values: () => ({ district: 'CY', amount: '20.00' }), amount: '20.00', publicExtra: { asked: '20.00' }, privateExtra: { why: 'test' } }));
    expect(item.status).to.equal('draft');
    const events = await db()(timeline).where({ item_id: item.id });
    expect(events.map((e) => [e.action, e.from_status, e.to_status, e.actor_id, e.amount])).to.deep.equal([['created', null, 'draft', maker.id, '20.00']]);
    const audit = await auditRows(item.id);
    expect(audit.map((a) => a.action)).to.deep.equal(['toy.created']);
    expect(JSON.parse(audit[0].public_payload)).to.deep.equal({ item: item.id, status: 'draft', asked: '20.00' });
    expect(JSON.parse(audit[0].private_payload)).to.include({ itemId: item.id, why: 'test' }).and.not.have.any.keys('fromStatus', 'toStatus', 'note');
    // the creator is the maker: maker-checker reads the created row like any other step
    expect((await refusal(step(item.id, 'check', maker))).code).to.equal('maker_checker');
  });

  it('prints its state table from the declaration', () => {
    const t = toy.stateTable();
    expect(t).to.include('| `create` 新建 | — | `draft` | officer | — | `toy.created` |');
    expect(t).to.include('| `approve` 批准 | `checked` | `approved` | approver (own district) | maker-checker: not by the actor of created / checked; tier: ');
    expect(t).to.include('| `note` 留言 | `draft`, `checked`, `approved` | (unchanged) | public | — | `toy.noted` |');
  });
});

describe('the aid state table in src/aid/CONTEXT.md', () => {
  it('is the one generated from the declaration (npm run docs:workflows)', () => {
    const doc = fs.readFileSync('src/aid/CONTEXT.md', 'utf8');
    expect(doc, 'run npm run docs:workflows').to.equal(replaceStateTable(doc, aidWorkflow));
  });
});
