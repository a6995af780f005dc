import { expect } from 'chai';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import pg from 'pg';
import { api, errorCode, userToken } from '../support/api';
import { fundWithMoney, household } from '../support/fixtures';
import { testService } from '../support/env';
import { appWith } from '../support/second-app';
import { clock } from '../../src/platform/clock';
import { eraseExpiredDocuments } from '../../src/documents';
import { PageClient } from '../support/browser';

// Supporting documents (issue 18): type from the content, size limit, sealed at rest, hash in the audit row,
// who may see them, withdrawal and erasure after the retention period.

const MARKER = `PLAINTEXT-MARKER-${crypto.randomBytes(6).toString('hex')}`;

/** A small real PDF with the marker in its text. */
function tinyPdf(extra = '') {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>'];
  const stream = `BT /F1 12 Tf 20 100 Td (${MARKER}) Tj ET`;
  objs.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => { offsets.push(body.length); body += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n${extra}`;
  return Buffer.from(body, 'latin1');
}

function crc32(buf: Buffer) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (~c) >>> 0;
}
const pngChunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
/** A real 2×2 RGB PNG with the marker in a text chunk. */
function tinyPng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0); ihdr.writeUInt32BE(2, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('tEXt', Buffer.from(`Comment\0${MARKER}`, 'latin1')), pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}
/** A JPEG's framing (SOI, JFIF APP0, a comment with the marker, EOI): what file-type reads. */
function tinyJpeg() {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const text = Buffer.from(MARKER, 'latin1');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, text.length + 2]), text]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, com, Buffer.from([0xff, 0xd9])]);
}
/** A Windows program (MZ … PE header), as a renamed .exe would arrive. */
function tinyExe() {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

const base = () => `${testService().url}/api/v1`;

async function upload(token: string, ownerKind: string, ownerId: number, bytes: Buffer | ReadableStream<Uint8Array>, opts: { title?: string; contentType?: string; url?: string } = {}) {
  const q = new URLSearchParams({ ownerKind, ownerId: String(ownerId), title: opts.title ?? '住院费用清单' });
  const init: RequestInit & { duplex?: 'half' } = {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': opts.contentType ?? 'application/pdf' }, body: bytes as BodyInit,
  };
  if (!(bytes instanceof Buffer)) init.duplex = 'half';
  const res = await fetch(`${opts.url ?? base()}/documents?${q}`, init);
  const text = await res.text();
  let body: any;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, body, text, headers: res.headers };
}

async function content(token: string, id: number) {
  const res = await fetch(`${base()}/documents/${id}/content`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function asOwner<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: testService().ownerUrl });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

const documentRows = () => asOwner(async (c) => Number((await c.query('SELECT count(*) AS n FROM documents')).rows[0].n));
const auditRows = (action: string, subject: string) =>
  asOwner(async (c) => (await c.query('SELECT actor, public_payload, private_payload FROM audit_log WHERE action = $1 AND subject = $2 ORDER BY seq', [action, subject])).rows);
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('supporting documents (证明材料)', function () {
  this.timeout(120_000);
  let officer: string, officerHD: string, approverCY: string, foundation: string, auditor: string, finance: string, admin: string;
  let auditorName: string;
  let hh: number;

  before(async () => {
    let a: { token: string; username: string };
    [officer, officerHD, approverCY, foundation, a, admin] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'HD').then((u) => u.token),
      userToken(['approver'], 'CY').then((u) => u.token), userToken(['approver']).then((u) => u.token),
      userToken(['auditor']), userToken(['admin']).then((u) => u.token),
    ]);
    [auditor, auditorName] = [a.token, a.username];
    finance = (await userToken(['finance'])).token;
    hh = await household(officer, 'CY', '李文档');
  });

  it('accepts a real PDF, PNG and JPEG by their content and answers the sniffed type, whatever the name or header says', async () => {
    for (const [bytes, type] of [[tinyPdf(), 'application/pdf'], [tinyPng(), 'image/png'], [tinyJpeg(), 'image/jpeg']] as const) {
      const r = await upload(officer, 'household', hh, bytes, { contentType: 'application/octet-stream', title: `证明.${type.split('/')[1]}` });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ ownerKind: 'household', ownerId: hh, householdId: hh, mediaType: type, sizeBytes: bytes.length, status: 'active' });
      expect(r.body).not.to.have.property('sha256'); // officers do not need the hash
      const back = await content(officer, r.body.id);
      expect(back.status).to.equal(200);
      expect(back.headers.get('content-type')).to.equal(type);
      expect(back.headers.get('content-disposition')).to.match(/^inline;/);
      expect(back.bytes.equals(bytes)).to.equal(true);
    }
  });

  it('refuses an .exe renamed .pdf (415 unsupported_media_type), and plain text, and writes nothing', async () => {
    const before = await documentRows();
    const exe = await upload(officer, 'household', hh, tinyExe(), { title: 'invoice.pdf', contentType: 'application/pdf' });
    expect(exe.status, exe.text).to.equal(415);
    expect(errorCode(exe)).to.equal('unsupported_media_type');
    expect(exe.body.error.details.detected).to.equal('application/x-msdownload');
    const txt = await upload(officer, 'household', hh, Buffer.from('just some text, not a PDF at all\n'.repeat(10)), { contentType: 'application/pdf' });
    expect(txt.status).to.equal(415);
    const json = await api('POST', `/documents?ownerKind=household&ownerId=${hh}&title=x`, { token: officer, body: { file: 'JVBERi0=' } });
    expect(json.status).to.equal(415);
    const empty = await upload(officer, 'household', hh, Buffer.alloc(0));
    expect(empty.status).to.equal(400);
    expect(await documentRows()).to.equal(before);
  });

  it('refuses a file over DOCUMENT_MAX_BYTES with 413, by its declared length or while it streams, and keeps nothing', async () => {
    const small = await appWith({ documentMaxBytes: 1024 * 1024 + 1000 });
    try {
      const before = await documentRows();
      const big = tinyPdf('%' + 'x'.repeat(2 * 1024 * 1024));
      const declared = await upload(officer, 'household', hh, big, { url: small.url });
      expect(declared.status, declared.text).to.equal(413);
      expect(errorCode(declared)).to.equal('payload_too_large');
      // No Content-Length: two 512 KiB chunks are sealed and stored before the limit is passed; all rolls back.
      const streamed = new ReadableStream<Uint8Array>({
        start(ctl) {
          for (let i = 0; i < big.length; i += 64 * 1024) ctl.enqueue(new Uint8Array(big.subarray(i, i + 64 * 1024)));
          ctl.close();
        },
      });
      const chunked = await upload(officer, 'household', hh, streamed, { url: small.url });
      expect(chunked.status, chunked.text).to.equal(413);
      expect(await documentRows()).to.equal(before);
      expect(await asOwner(async (c) => Number((await c.query('SELECT count(*) AS n FROM document_chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.sha256 IS NULL')).rows[0].n))).to.equal(0);
      // Just under the limit is accepted.
      const fits = await upload(officer, 'household', hh, tinyPdf('%' + 'y'.repeat(1024 * 1024)), { url: small.url });
      expect(fits.status, fits.text).to.equal(201);
      expect(fits.body.sizeBytes).to.be.greaterThan(1024 * 1024);
    } finally {
      small.close();
    }
  });

  it('keeps only ciphertext at rest (no plaintext marker in the raw tables) and a 20 MB file round-trips in sealed chunks', async () => {
    const big = tinyPdf(`%${MARKER}\n` + '%'.padEnd(20 * 1024 * 1024 - 4096, 'z'));
    const up = await upload(officer, 'household', hh, big);
    expect(up.status, up.text).to.equal(201);
    const raw = await asOwner(async (c) => {
      const chunks = (await c.query('SELECT seq, bytes FROM document_chunks WHERE document_id = $1 ORDER BY seq', [up.body.id])).rows as { seq: number; bytes: Buffer }[];
      const doc = (await c.query('SELECT * FROM documents WHERE id = $1', [up.body.id])).rows[0];
      return { chunks, doc };
    });
    expect(raw.chunks.length).to.equal(Math.ceil(big.length / (512 * 1024)));
    expect(raw.doc.chunk_count).to.equal(raw.chunks.length);
    for (const ch of raw.chunks) {
      expect(ch.bytes.includes(Buffer.from(MARKER))).to.equal(false);
      expect(ch.bytes.includes(Buffer.from('%PDF'))).to.equal(false);
      expect(ch.bytes.includes(Buffer.from('zzzzzzzz'))).to.equal(false);
    }
    expect(JSON.stringify(raw.doc)).not.to.include(MARKER);
    // Every small file of the other tests is sealed too.
    const anyPlain = await asOwner(async (c) => Number((await c.query(`SELECT count(*) AS n FROM document_chunks WHERE position(convert_to($1, 'UTF8') in bytes) > 0`, [MARKER])).rows[0].n));
    expect(anyPlain).to.equal(0);
    const back = await content(officer, up.body.id);
    expect(back.status).to.equal(200);
    expect(Number(back.headers.get('content-length'))).to.equal(big.length);
    expect(sha256(back.bytes)).to.equal(sha256(big));
  });

  it('records the SHA-256 of the bytes in the audit row (private payload only), and auditors see it', async () => {
    const bytes = tinyPng();
    const up = await upload(officer, 'household', hh, bytes);
    expect(up.status).to.equal(201);
    const rows = await auditRows('document.attached', `document:${up.body.id}`);
    expect(rows).to.have.length(1);
    expect(JSON.parse(rows[0].private_payload).sha256).to.equal(sha256(bytes));
    expect(rows[0].public_payload ?? '').not.to.include(sha256(bytes));
    const pub = await api('GET', '/public/log?limit=500');
    expect(pub.text).not.to.include(sha256(bytes));
    const meta = await api('GET', `/documents/${up.body.id}`, { token: auditor });
    expect(meta.body.sha256).to.equal(sha256(bytes));
  });

  it('shows documents to the district and auditors (each view audited), never to finance, admins or another district', async () => {
    const up = await upload(officer, 'household', hh, tinyJpeg());
    const id = up.body.id;
    expect((await content(approverCY, id)).status).to.equal(200);
    for (const t of [finance, admin]) {
      expect((await content(t, id)).status).to.equal(403);
      expect((await api('GET', `/documents?ownerKind=household&ownerId=${hh}`, { token: t })).status).to.equal(403);
    }
    expect((await content(officerHD, id)).status).to.equal(404);
    expect((await api('GET', `/documents/${id}`, { token: officerHD })).status).to.equal(404);
    expect((await api('GET', `/documents?householdId=${hh}`, { token: officerHD })).status).to.equal(404);
    const hdUp = await upload(officerHD, 'household', hh, tinyPdf());
    expect(hdUp.status).to.equal(404);
    const views = (await auditRows('document.viewed', `document:${id}`)).length;
    const seen = await content(auditor, id);
    expect(seen.status).to.equal(200);
    const after = await auditRows('document.viewed', `document:${id}`);
    expect(after.length).to.equal(views + 1);
    expect(after[after.length - 1].actor).to.equal(auditorName);
    expect(JSON.parse(after[after.length - 1].private_payload).sha256).to.equal(sha256(tinyJpeg()));
    const list = await api('GET', `/documents?householdId=${hh}&limit=500`, { token: auditor });
    expect(list.status).to.equal(200);
    expect(list.body.items.map((d: any) => d.id)).to.include(id);
    expect(list.text).not.to.include(MARKER);
  });

  it('shows a foundation approver only the papers of cases above the district tier', async () => {
    const up = await upload(officer, 'household', hh, tinyPdf());
    expect((await content(foundation, up.body.id)).status).to.equal(403);
    const { fund } = await fundWithMoney('100000.00');
    const small = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: '门诊', requestedAmount: '800.00', urgent: false } });
    expect(small.status, small.text).to.equal(201);
    const onSmall = await upload(officer, 'aid_case', small.body.id, tinyPdf());
    expect(onSmall.status, onSmall.text).to.equal(201);
    expect((await content(foundation, onSmall.body.id)).status).to.equal(403);
    const large = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: '住院', requestedAmount: '12000.00', urgent: false } });
    const onLarge = await upload(officer, 'aid_case', large.body.id, tinyPdf());
    expect(onLarge.status).to.equal(201);
    expect((await content(foundation, onLarge.body.id)).status).to.equal(200);
    // The file now has a case above the district tier: its own papers are the foundation's business too.
    expect((await content(foundation, up.body.id)).status).to.equal(200);
    const list = await api('GET', `/documents?ownerKind=aid_case&ownerId=${small.body.id}`, { token: foundation });
    expect(list.status).to.equal(403);
  });

  it('attaches to assessments and exits too, and an unknown owner is a 404', async () => {
    const a = await api('POST', `/households/${hh}/assessments`, { token: officer, body: { date: '2026-01-05', monthlyIncome: '3000.00', memberCount: 2, rigidExpenses: '0.00' } });
    expect(a.status).to.equal(201);
    const onA = await upload(officer, 'assessment', a.body.id, tinyPdf());
    expect(onA.status, onA.text).to.equal(201);
    expect(onA.body.householdId).to.equal(hh);
    expect((await upload(officer, 'assessment', 2147483000, tinyPdf())).status).to.equal(404);
    expect((await upload(officer, 'exit', a.body.id, tinyPdf())).status).to.equal(404); // not an exit event
    const byOwner = await api('GET', `/documents?ownerKind=assessment&ownerId=${a.body.id}`, { token: approverCY });
    expect(byOwner.body.items.map((d: any) => d.id)).to.deep.equal([onA.body.id]);
  });

  it('withdraws with a reason only (409 twice), keeps the bytes until the retention has passed, then the job erases them and leaves the record, the hash and the audit rows', async () => {
    const bytes = tinyPdf();
    const up = await upload(officer, 'household', hh, bytes);
    const id = up.body.id;
    expect((await api('POST', `/documents/${id}/withdraw`, { token: officer, body: {} })).status).to.equal(400);
    expect((await api('POST', `/documents/${id}/withdraw`, { token: officerHD, body: { reason: '误传' } })).status).to.equal(404);
    expect((await api('POST', `/documents/${id}/withdraw`, { token: auditor, body: { reason: '误传' } })).status).to.equal(403);
    const w = await api('POST', `/documents/${id}/withdraw`, { token: officer, body: { reason: '上传错误，已补正确材料' } });
    expect(w.status, w.text).to.equal(200);
    expect(w.body).to.include({ status: 'withdrawn', withdrawReason: '上传错误，已补正确材料', erased: false });
    expect(new Date(w.body.eraseAfter).getUTCFullYear()).to.equal(clock.now().getUTCFullYear() + testService().ctx.config.documentRetentionYears);
    expect((await api('POST', `/documents/${id}/withdraw`, { token: officer, body: { reason: '再次' } })).status).to.equal(409);
    expect((await content(auditor, id)).status).to.equal(200); // kept for the retention period

    // The working role cannot delete a document, nor the chunks of one not erased (grant and trigger).
    const db = testService().ctx.db;
    const refused = async (sql: string) => { try { await db.raw(sql); return undefined; } catch (e) { return (e as { code?: string }).code; } };
    expect(await refused(`DELETE FROM documents WHERE id = ${id}`)).to.equal('42501');
    expect(await refused(`DELETE FROM document_chunks WHERE document_id = ${id}`)).to.equal('23001');
    expect(await refused(`UPDATE documents SET sha256 = repeat('0', 64) WHERE id = ${id}`)).to.equal('23001');

    const ctx = testService().ctx;
    await eraseExpiredDocuments(ctx, clock.now());
    expect((await content(officer, id)).status).to.equal(200);
    // Past the retention (the clock the job is given; moving the shared clock by years would expire every session).
    const later = new Date(clock.now().getTime() + (ctx.config.documentRetentionYears * 366 + 1) * 86_400_000);
    const erased = await eraseExpiredDocuments(ctx, later);
    expect(erased).to.be.greaterThan(0);
    expect(await eraseExpiredDocuments(ctx, later)).to.equal(0); // nothing twice
    const left = await asOwner(async (c) => ({
      chunks: Number((await c.query('SELECT count(*) AS n FROM document_chunks WHERE document_id = $1', [id])).rows[0].n),
      doc: (await c.query('SELECT sha256, erased_at FROM documents WHERE id = $1', [id])).rows[0],
    }));
    expect(left.chunks).to.equal(0);
    expect(left.doc.sha256).to.equal(sha256(bytes));
    expect(left.doc.erased_at).to.not.equal(null);
    const gone = await content(auditor, id);
    expect(gone.status).to.equal(410);
    const audit = await auditRows('document.erased', `document:${id}`);
    expect(audit).to.have.length(1);
    expect(JSON.parse(audit[0].private_payload).sha256).to.equal(sha256(bytes));
    expect(await auditRows('document.attached', `document:${id}`)).to.have.length(1);
    const meta = await api('GET', `/documents/${id}`, { token: auditor });
    expect(meta.body).to.include({ erased: true, sha256: sha256(bytes) });
  });
  it('the console: the household page lists documents with thumbnails, uploads a photo through a multipart form (CSRF in the action) and streams the content', async () => {
    const u = await userToken(['officer'], 'CY');
    const id = await household(u.token, 'CY', '赵控制台');
    const b = await PageClient.as(u.username);
    const page = (await b.get(`/households/${id}`)).text;
    expect(page).to.include('capture="environment"');
    expect(page).to.include('accept="application/pdf,image/*"');
    const action = /enctype="multipart\/form-data" action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const send = (to: string, bytes: Buffer, name: string, type: string) => {
      const form = new FormData();
      form.append('owner', `household:${id}`);
      form.append('title', '门诊发票照片');
      form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
      return fetch(`${testService().url}${to}`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
    };
    expect((await send(`/households/${id}/documents`, tinyPng(), 'photo.png', 'image/png')).status).to.equal(403); // no CSRF token
    const ok = await send(action, tinyPng(), 'photo.png', 'image/png');
    expect(ok.status, await ok.clone().text()).to.equal(303);
    const refusedExe = await send(action, tinyExe(), 'invoice.pdf', 'application/pdf');
    expect(refusedExe.status).to.equal(415);
    expect(await refusedExe.text()).to.include('PDF');
    const after = (await b.get(`/households/${id}`)).text;
    const img = /<img src="\/documents\/(\d+)\/content" width="160"/.exec(after);
    expect(img, 'a thumbnail').to.not.equal(null);
    const shown = await fetch(`${testService().url}/documents/${img![1]}/content`, { headers: { cookie } });
    expect(shown.status).to.equal(200);
    expect(shown.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await shown.arrayBuffer()).equals(tinyPng())).to.equal(true);
  });
});
