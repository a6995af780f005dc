import { expect } from 'chai';
import pg from 'pg';
import { api, adminToken, auditSeq, errorCode, login, userToken } from '../support/api';
import { testService } from '../support/env';
import { pdfText, squash } from '../reports/support';
import { INCOMPATIBLE_ROLES } from '../../src/auth';

let n = 0;
const uname = (tag: string) => `r${process.pid % 1000}${Date.now() % 100000}${++n}-${tag}`.slice(0, 40);
const body = (roles: string[], extra: Record<string, unknown> = {}) => ({ username: uname(roles.join('')), password: 'Role-pass-12345', displayName: '测试 Test', roles, ...extra });

describe('incompatible duties (不相容职务) and the record of user changes', () => {
  it('POST /users: admin+finance, admin+approver, finance+approver are 422 incompatible_roles, and nothing is written', async () => {
    const token = await adminToken();
    const before = await auditSeq();
    for (const roles of [['admin', 'finance'], ['admin', 'approver'], ['finance', 'approver'], ['admin', 'finance', 'approver', 'auditor'], ['approver', 'finance', 'officer']]) {
      const b = body(roles, roles.includes('officer') ? { district: 'CY' } : {});
      const r = await api('POST', '/users', { token, body: b });
      expect(r.status, roles.join('+')).to.equal(422);
      expect(errorCode(r)).to.equal('incompatible_roles');
      expect(r.body.error.message).to.include('不相容职务');
      expect(r.body.error.details.incompatible.length).to.be.greaterThan(0);
      expect((await api('POST', '/auth/login', { body: { username: b.username, password: b.password } })).status).to.equal(401);
    }
    expect(await auditSeq()).to.equal(before);
    // Combinations that stay allowed.
    for (const roles of [['admin', 'auditor'], ['admin', 'officer'], ['officer', 'approver'], ['finance', 'auditor'], ['approver', 'auditor'], ['finance', 'officer']]) {
      const r = await api('POST', '/users', { token, body: body(roles, roles.includes('officer') ? { district: 'CY' } : {}) });
      expect(r.status, `${roles.join('+')}: ${r.text}`).to.equal(201);
    }
    expect(INCOMPATIBLE_ROLES).to.have.length(3);
  });

  it('PATCH /users/:id: adding an incompatible role is 422 and changes nothing', async () => {
    const token = await adminToken();
    for (const [start, add] of [[['finance'], 'approver'], [['approver'], 'finance'], [['finance'], 'admin'], [['approver'], 'admin'], [['admin'], 'finance']] as const) {
      const u = await userToken([...start]);
      const before = await auditSeq();
      const r = await api('PATCH', `/users/${u.id}`, { token, body: { roles: [...start, add] } });
      expect(r.status, `${start} + ${add}`).to.equal(422);
      expect(errorCode(r)).to.equal('incompatible_roles');
      expect(await auditSeq()).to.equal(before);
      const now = (await api('GET', '/users', { token })).body.items.find((x: any) => x.id === u.id);
      expect(now.roles).to.deep.equal([...start]);
    }
  });

  it('the database refuses the combination too (a trigger), whatever writes it', async () => {
    const db = testService().ctx.db;
    let err: any;
    await db('users').insert({ username: uname('sql'), password_hash: 'x', display_name: 'x', roles: ['admin', 'finance'] }).catch((e) => (err = e));
    expect(err?.message).to.match(/incompatible roles/);
    const u = await userToken(['approver']);
    err = undefined;
    await db('users').where({ id: u.id }).update({ roles: ['approver', 'finance'] }).catch((e) => (err = e));
    expect(err?.message).to.match(/incompatible roles/);
  });

  it('a user made before the rule keeps working (login, rename, disable) but cannot be enabled again holding both', async () => {
    // Such a user can only exist from before the rule: write it as the schema owner with the trigger off.
    const username = uname('legacy');
    const owner = new pg.Client({ connectionString: testService().ownerUrl });
    await owner.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('ALTER TABLE users DISABLE TRIGGER users_incompatible_roles');
      await owner.query(`INSERT INTO users (username, password_hash, display_name, roles) VALUES ($1, $2, 'legacy', ARRAY['admin','finance'])`, [
        username,
        '$2a$04$4x5V1TBeN/UqP2fV0qKxVOP1V7DQ6f9sDk0wI4V0n9uG6rS8V8kqK', // not used: the admin sets a password below
      ]);
      await owner.query('ALTER TABLE users ENABLE TRIGGER users_incompatible_roles');
      await owner.query('COMMIT');
    } finally {
      await owner.end();
    }
    const token = await adminToken();
    const id = (await api('GET', '/users', { token })).body.items.find((x: any) => x.username === username).id;
    const pw = await api('PATCH', `/users/${id}`, { token, body: { password: 'Legacy-pass-123', displayName: 'legacy 2' } });
    expect(pw.status, pw.text).to.equal(200);
    expect(await login(username, 'Legacy-pass-123')).to.be.a('string');
    expect((await api('PATCH', `/users/${id}`, { token, body: { disabled: true } })).status).to.equal(200);
    const enable = await api('PATCH', `/users/${id}`, { token, body: { disabled: false } });
    expect(enable.status).to.equal(422);
    expect(errorCode(enable)).to.equal('incompatible_roles');
    const fixed = await api('PATCH', `/users/${id}`, { token, body: { disabled: false, roles: ['finance'] } });
    expect(fixed.status, fixed.text).to.equal(200);
    expect(fixed.body).to.include({ disabled: false });
  });

  it('every user and role change is audited with before and after (never a password) and listed in the attestation PDF', async () => {
    const token = await adminToken();
    const b = body(['officer'], { district: 'CY' });
    b.username = `rc${Date.now() % 1000000}`;
    const created = await api('POST', '/users', { token, body: b });
    expect(created.status).to.equal(201);
    const id = created.body.id;
    expect((await api('PATCH', `/users/${id}`, { token, body: { roles: ['officer', 'auditor'], district: 'HD' } })).status).to.equal(200);
    expect((await api('PATCH', `/users/${id}`, { token, body: { disabled: true } })).status).to.equal(200);
    expect((await api('PATCH', `/users/${id}`, { token, body: { disabled: false, password: 'Another-pass-99' } })).status).to.equal(200);

    const auditor = (await userToken(['auditor'])).token;
    const rows = (await api('GET', `/audit?subject=user:${id}&limit=50`, { token: auditor })).body.items;
    expect(rows.map((r: any) => r.action)).to.deep.equal(['user.created', 'user.updated', 'user.disabled', 'user.enabled']);
    const upd = rows[1].privatePayload;
    expect(upd).to.deep.include({ username: b.username });
    expect(upd.before).to.deep.include({ roles: ['officer'], district: 'CY', disabled: false });
    expect(upd.after).to.deep.include({ roles: ['officer', 'auditor'], district: 'HD', disabled: false });
    expect(rows[3].privatePayload.passwordReset).to.equal(true);
    const all = JSON.stringify(rows);
    for (const secret of [b.password, 'Another-pass-99', 'password_hash', '$2a$', '$2b$']) expect(all).not.to.include(secret);
    for (const r of rows) expect(r.actor).to.equal('test-admin');

    const res = await fetch(`${testService().url}/api/v1/reports/audit-attestation.pdf`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).to.equal(200);
    const { text } = await pdfText(Buffer.from(await res.arrayBuffer()));
    expect(text).to.include('用户与权限变更');
    expect(text).to.include('User and role changes');
    const mine = text.split('\n').filter((l) => l.includes(b.username));
    const joined = mine.join('\n');
    expect(mine.length, text.slice(text.indexOf('用户与权限变更'), text.indexOf('用户与权限变更') + 800)).to.be.at.least(4);
    // A long description wraps onto a continuation line: compare without white space.
    const section = squash(text.slice(text.indexOf('用户与权限变更')));
    for (const what of ['创建 created', '角色 roles officer → officer,auditor', '区 district CY → HD', '停用 disabled', '启用 enabled', '重置密码 password reset']) {
      expect(section, `${what} in:\n${joined}`).to.include(squash(what));
    }
    for (const l of mine) expect(l).to.include('test-admin');
  });
});
