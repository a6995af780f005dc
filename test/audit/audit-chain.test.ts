import { expect } from 'chai';
import { api, adminToken, userToken } from '../support/api';
import { testService } from '../support/env';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chainHash, checkpointNote, parsePublicKey, privateDigestOf, verifyCheckpoint } from '../../src/audit';
import { pdfText, squash } from '../reports/support';
import { canonicalJson, sha256Hex } from '../../src/platform/canonical-json';
import type { Knex } from 'knex';
import { ownerDb } from './support';

describe('audit chain', () => {
  let auditor: string;
  let owner: Knex;
  before(async () => {
    auditor = (await userToken(['auditor'])).token;
    owner = ownerDb(testService().ownerUrl);
  });
  after(async () => owner?.destroy());

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

  it('the public can recompute every hash from /public/log alone (with the private digest); new rows are version 2', async () => {
    let prev = '0'.repeat(64);
    let after = 0;
    let v2 = 0;
    for (;;) {
      const page = await api('GET', `/public/log?after=${after}&limit=500`);
      for (const it of page.body.items) {
        expect(it.prevHash).to.equal(prev);
        expect(it.actor).to.be.a('string');
        expect(it.subject).to.be.a('string');
        const publicPayload = it.publicPayload === null ? 'null' : canonicalJson(it.publicPayload);
        const row = { hashVersion: it.hashVersion, seq: it.seq, time: it.time, actor: it.actor, action: it.action, subject: it.subject, publicPayload, privateDigest: it.privateDigest, prevHash: it.prevHash };
        expect(chainHash(row)).to.equal(it.hash);
        if (it.hashVersion === 2) {
          v2 += 1;
          // By hand, as docs/audit-chain.md writes it: actor and subject are in the hash.
          const text = ['2', it.prevHash, String(it.seq), it.time, it.action, sha256Hex(it.actor), sha256Hex(it.subject), sha256Hex(publicPayload), it.privateDigest].join('|');
          expect(sha256Hex(text)).to.equal(it.hash);
          expect(chainHash({ ...row, actor: `${it.actor}x` })).not.to.equal(it.hash);
          expect(chainHash({ ...row, subject: `${it.subject}x` })).not.to.equal(it.hash);
        }
        prev = it.hash;
        after = it.seq;
      }
      if (!page.body.nextCursor) break;
    }
    expect(v2).to.be.greaterThan(0);
    expect((await api('GET', '/public/log/head')).body.hash).to.equal(prev);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE of the log, even to its owner while the trigger is on', async () => {
    const db = owner;
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

  it('finds a row changed behind the service’s back (trigger disabled by the owner)', async () => {
    const db = owner;
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
    // What the public needs to recompute a version-2 hash: actor (a staff username, 'public' or 'system') and subject.
    expect(p.body.items[0]).to.include.keys('seq', 'time', 'actor', 'action', 'subject', 'publicPayload', 'privateDigest', 'prevHash', 'hash', 'hashVersion');
  });

  it('signs the head: the checkpoint verifies with node:crypto from the published key, and again gives the same bytes', async () => {
    const key = (await api('GET', '/public/log/key')).body;
    expect(key.algorithm).to.equal('Ed25519');
    const raw = Buffer.from(key.publicKeyRaw, 'base64');
    expect(raw).to.have.length(32);
    expect(key.keyId).to.equal(crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16));
    const pem = crypto.createPublicKey(key.publicKey);
    expect(pem.export({ format: 'der', type: 'spki' }).subarray(-32).equals(raw)).to.equal(true);

    const [a, b] = [(await api('GET', '/public/log/checkpoint')).body, (await api('GET', '/public/log/checkpoint')).body];
    expect(a).to.deep.equal(b); // Ed25519 is deterministic and time is the head row's
    expect(a).to.have.keys('seq', 'hash', 'time', 'signature', 'keyId');
    expect(a.keyId).to.equal(key.keyId);
    const head = (await api('GET', '/public/log/head')).body;
    expect({ seq: a.seq, hash: a.hash }).to.deep.equal(head);
    const row = (await api('GET', `/public/log?after=${a.seq - 1}&limit=1`)).body.items[0];
    expect(a.time).to.equal(row.time);
    // By hand: the four-line note of docs/audit-chain.md.
    const note = `warmth-ledger audit log\n${a.seq}\n${a.hash}\n${a.time}\n`;
    expect(checkpointNote(a)).to.equal(note);
    expect(crypto.verify(null, Buffer.from(note), pem, Buffer.from(a.signature, 'base64'))).to.equal(true);
    expect(verifyCheckpoint(a, parsePublicKey(key.publicKeyRaw))).to.equal(true);
    expect(verifyCheckpoint({ ...a, seq: a.seq - 1 }, pem)).to.equal(false);
    expect(verifyCheckpoint({ ...a, hash: 'f'.repeat(64) }, pem)).to.equal(false);
  });

  it('the checkpoint checks with openssl as docs/audit-chain.md says', async function () {
    if (spawnSync('openssl', ['version']).status !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-cp-'));
    try {
      const key = (await api('GET', '/public/log/key')).body;
      const cp = (await api('GET', '/public/log/checkpoint')).body;
      fs.writeFileSync(path.join(dir, 'key.pem'), key.publicKey);
      fs.writeFileSync(path.join(dir, 'note.txt'), `warmth-ledger audit log\n${cp.seq}\n${cp.hash}\n${cp.time}\n`);
      fs.writeFileSync(path.join(dir, 'sig.bin'), Buffer.from(cp.signature, 'base64'));
      const ok = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'key.pem', '-rawin', '-in', 'note.txt', '-sigfile', 'sig.bin'], { cwd: dir, encoding: 'utf8' });
      expect(ok.stdout).to.match(/Signature Verified Successfully/);
      fs.writeFileSync(path.join(dir, 'note.txt'), `warmth-ledger audit log\n${cp.seq + 1}\n${cp.hash}\n${cp.time}\n`);
      const bad = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'key.pem', '-rawin', '-in', 'note.txt', '-sigfile', 'sig.bin'], { cwd: dir, encoding: 'utf8' });
      expect(bad.status).not.to.equal(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every PDF prints the signed checkpoint of the head it was made at', async function () {
    this.timeout(60_000);
    const year = new Date().getUTCFullYear();
    const res = await fetch(`${testService().url}/api/v1/reports/aid-disclosure.pdf?from=${year}-01-01&to=${year}-12-31`);
    expect(res.status).to.equal(200);
    const buf = Buffer.from(await res.arrayBuffer());
    const issued = (await api('GET', `/public/reports/verify?sha256=${crypto.createHash('sha256').update(buf).digest('hex')}`)).body;
    expect(issued.issued).to.equal(true);
    const text = squash((await pdfText(buf)).text);
    const m = /Ed25519key([0-9a-f]{16}):([A-Za-z0-9+/]{86}==)/.exec(text);
    expect(m, 'the checkpoint line').to.not.equal(null);
    const key = (await api('GET', '/public/log/key')).body;
    expect(m![1]).to.equal(key.keyId);
    const row = (await api('GET', `/public/log?after=${issued.headSeq - 1}&limit=1`)).body.items[0];
    expect(row.hash).to.equal(issued.headHash);
    expect(verifyCheckpoint({ seq: issued.headSeq, hash: row.hash, time: row.time, signature: m![2]!, keyId: m![1]! }, parsePublicKey(key.publicKey))).to.equal(true);
  });
});
