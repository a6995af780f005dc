import { expect } from 'chai';
import { api, adminToken, userToken } from '../support/api';
import { testService } from '../support/env';
import { chainHash, privateDigestOf } from '../../src/audit';
import { canonicalJson, sha256Hex } from '../../src/platform/canonical-json';

describe('audit chain', () => {
  let auditor: string;
  before(async () => {
    auditor = (await userToken(['auditor'])).token;
  });

  it('keeps one intact chain under 200 concurrent audited writes', async function () {
    this.timeout(120_000);
    const token = await adminToken();
    const before = (await api('GET', '/public/log/head')).body.seq;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api('POST', '/users', { token, body: { username: `conc-${i}`, password: 'Test-pass-12345', displayName: `并发 ${i}`, roles: ['auditor'] } }),
      ),
    );
    expect(results.every((r) => r.status === 201)).to.equal(true);
    const v = await api('GET', '/audit/verify', { token: auditor });
    expect(v.body.ok).to.equal(true);
    expect(v.body.firstBadSeq).to.equal(null);
    expect(v.body.head.seq).to.be.at.least(before + 200);
    expect(v.body.length).to.equal(v.body.head.seq);
    const seqs = await testService().ctx.db('audit_log').pluck('seq');
    expect(new Set(seqs).size).to.equal(seqs.length);
    expect(Math.max(...seqs.map(Number))).to.equal(seqs.length);
  });

  it('the public can recompute every hash from /public/log alone (with the private digest)', async () => {
    let prev = '0'.repeat(64);
    let after = 0;
    for (;;) {
      const page = await api('GET', `/public/log?after=${after}&limit=500`);
      for (const it of page.body.items) {
        expect(it.prevHash).to.equal(prev);
        const publicPayload = it.publicPayload === null ? 'null' : canonicalJson(it.publicPayload);
        expect(chainHash({ seq: it.seq, time: it.time, action: it.action, publicPayload, privateDigest: it.privateDigest, prevHash: it.prevHash })).to.equal(it.hash);
        prev = it.hash;
        after = it.seq;
      }
      if (!page.body.nextCursor) break;
    }
    expect((await api('GET', '/public/log/head')).body.hash).to.equal(prev);
    expect(sha256Hex('')).to.have.length(64);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE of the log', async () => {
    const db = testService().ctx.db;
    for (const sql of ["UPDATE audit_log SET action = 'x' WHERE seq = 1", 'DELETE FROM audit_log WHERE seq = 1', 'TRUNCATE audit_log']) {
      let failed = false;
      try {
        await db.raw(sql);
      } catch (e) {
        failed = /immutable/.test((e as Error).message);
      }
      expect(failed, sql).to.equal(true);
    }
  });

  it('finds a row changed behind the service’s back (trigger disabled by the superuser)', async () => {
    const db = testService().ctx.db;
    const target = 3;
    const original = await db('audit_log').where({ seq: target }).first();
    await db.raw('ALTER TABLE audit_log DISABLE TRIGGER USER');
    try {
      await db('audit_log').where({ seq: target }).update({ private_payload: original.private_payload.replace('}', ',"forged":true}') });
      const v = await api('GET', '/audit/verify', { token: auditor });
      expect(v.body.ok).to.equal(false);
      expect(v.body.firstBadSeq).to.equal(target);
      await db('audit_log').where({ seq: target }).update({ private_payload: original.private_payload, action: 'auth.forged' });
      expect((await api('GET', '/audit/verify', { token: auditor })).body.firstBadSeq).to.equal(target);
    } finally {
      await db('audit_log').where({ seq: target }).update({ private_payload: original.private_payload, action: original.action });
      await db.raw('ALTER TABLE audit_log ENABLE TRIGGER USER');
    }
    expect((await api('GET', '/audit/verify', { token: auditor })).body.ok).to.equal(true);
    expect(privateDigestOf('k', '{}')).to.have.length(64);
  });

  it('auditors read private payloads; the public log shows none', async () => {
    const r = await api('GET', '/audit?limit=5', { token: auditor });
    expect(r.status).to.equal(200);
    expect(r.body.items[0]).to.have.property('privatePayload');
    const p = await api('GET', '/public/log?limit=5');
    expect(p.body.items[0]).not.to.have.property('privatePayload');
    expect(p.body.items[0]).not.to.have.property('actor');
  });
});
