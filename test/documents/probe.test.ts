import { expect } from 'chai';
import crypto from 'node:crypto';
import { api, auditActionsSince, auditSeq, errorCode, userToken } from '../support/api';
import { household } from '../support/fixtures';
import { testService } from '../support/env';
import { appWith } from '../support/second-app';

// Outside checks of supporting documents (issue 18): bodies and headers as real clients send them. Every answer
// is a success or a clear 4xx JSON error (never a 500), and a refused upload leaves no document and no audit row.

const pdf = (size = 0) => {
  const head = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n', 'latin1');
  return size ? Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x25), tail]) : Buffer.concat([head, tail]);
};
const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(17)]);
/** An iPhone photo's first bytes: the ISO-BMFF `ftyp` box with the heic brand. */
const ftyp = (brand: string, compatible: string[]) => {
  const body = Buffer.concat([Buffer.from('ftyp'), Buffer.from(brand), Buffer.alloc(4), ...compatible.map((c) => Buffer.from(c))]);
  const size = Buffer.alloc(4); size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(64)]);
};

const base = () => `${testService().url}/api/v1`;

async function upload(token: string, bytes: Buffer | ReadableStream<Uint8Array> | null, q: Record<string, string | number>, opts: { contentType?: string | null; url?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/pdf';
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, ...(bytes ? { body: bytes as BodyInit } : {}) };
  if (bytes && !(bytes instanceof Buffer)) init.duplex = 'half';
  const qs = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${opts.url ?? base()}/documents?${qs}`, init);
  const text = await res.text();
  let body: any;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, body, text, headers: res.headers };
}

function clearError(r: { status: number; text: string; body: any; headers: Headers }, status: number, code?: string) {
  expect(r.status, r.text.slice(0, 300)).to.equal(status);
  const c = errorCode({ ...r, body: r.body });
  if (code) expect(c).to.equal(code);
}

const documentActions = (seq: number) => auditActionsSince(seq, 'document.');

const stream = (b: Buffer, piece = 64 * 1024) => new ReadableStream<Uint8Array>({
  start(ctl) {
    for (let i = 0; i < b.length; i += piece) ctl.enqueue(new Uint8Array(b.subarray(i, i + piece)));
    ctl.close();
  },
});

describe('probe: supporting documents with real-world input', function () {
  this.timeout(120_000);
  let officer: string, officerHD: string;
  let hh: number, hhHD: number;
  const on = () => ({ ownerKind: 'household', ownerId: hh, title: '证明' });

  before(async () => {
    [officer, officerHD] = await Promise.all([userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'HD').then((u) => u.token)]);
    [hh, hhHD] = await Promise.all([household(officer, 'CY', '周探针'), household(officerHD, 'HD', '吴探针')]);
  });

  it('refuses an empty body, a 0-byte file and no body at all with 400, storing nothing', async () => {
    const seq = await auditSeq();
    clearError(await upload(officer, Buffer.alloc(0), on()), 400);
    clearError(await upload(officer, null, on()), 400);
    clearError(await upload(officer, null, on(), { contentType: null }), 400);
    clearError(await upload(officer, stream(Buffer.alloc(0)), on()), 400);
    expect(await documentActions(seq)).to.deep.equal([]);
  });

  it('takes a valid PDF whatever the Content-Type header says: the type comes from the content', async () => {
    const seq = await auditSeq();
    let accepted = 0;
    for (const ct of [null, 'application/octet-stream', 'image/png', 'text/plain', 'multipart/form-data', 'application/x-www-form-urlencoded', 'application/json', 'application/json; charset=utf-16', 'garbage']) {
      const r = await upload(officer, pdf(), { ...on(), title: `ct ${ct}` }, { contentType: ct });
      expect(r.status, `${ct}: ${r.text.slice(0, 300)}`).to.equal(201);
      accepted++;
      expect(r.body.mediaType).to.equal('application/pdf');
    }
    expect((await documentActions(seq)).filter((a) => a === 'document.attached')).to.have.length(accepted);
  });

  it('types by content: a PNG titled .pdf is a PNG; HEIC and HEIF from a phone are taken; AVIF, MP4 and a truncated header are not PDFs', async () => {
    const p = await upload(officer, png(), { ...on(), title: '发票.pdf' }, { contentType: 'application/pdf' });
    expect(p.status, p.text).to.equal(201);
    expect(p.body.mediaType).to.equal('image/png');
    const dl = await fetch(`${base()}/documents/${p.body.id}/content`, { headers: { authorization: `Bearer ${officer}` } });
    expect(dl.headers.get('content-type')).to.equal('image/png');
    expect(dl.headers.get('content-disposition')).to.include('.pdf.png');
    await dl.arrayBuffer();
    const heic = await upload(officer, ftyp('heic', ['mif1', 'heic']), { ...on(), title: 'IMG_0001.HEIC' }, { contentType: 'image/heic' });
    expect(heic.status, heic.text).to.equal(201);
    expect(heic.body.mediaType).to.equal('image/heic');
    const heif = await upload(officer, ftyp('mif1', ['mif1', 'heic']), { ...on(), title: 'IMG_0002.HEIF' }, { contentType: 'image/heif' });
    expect(heif.status, heif.text).to.equal(201);
    expect(heif.body.mediaType).to.be.oneOf(['image/heif', 'image/heic']);
    const seq = await auditSeq();
    clearError(await upload(officer, ftyp('avif', ['avif', 'mif1']), on(), { contentType: 'image/heic' }), 415, 'unsupported_media_type');
    clearError(await upload(officer, ftyp('isom', ['isom', 'mp41']), on()), 415, 'unsupported_media_type');
    clearError(await upload(officer, Buffer.from('%PD'), on()), 415, 'unsupported_media_type');
    clearError(await upload(officer, Buffer.from([0xff]), on()), 415, 'unsupported_media_type');
    expect(await documentActions(seq)).to.deep.equal([]);
    // A truncated JPEG (the header, then nothing): its type is JPEG; stored as sent, returned as sent.
    const cut = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    const j = await upload(officer, cut, { ...on(), title: '照片' }, { contentType: 'image/jpeg' });
    expect(j.status, j.text).to.equal(201);
    const back = await fetch(`${base()}/documents/${j.body.id}/content`, { headers: { authorization: `Bearer ${officer}` } });
    expect(Buffer.from(await back.arrayBuffer()).equals(cut)).to.equal(true);
  });

  it('takes exactly DOCUMENT_MAX_BYTES and refuses one byte more, declared or streamed, keeping nothing of the refused', async () => {
    const max = 2 * 512 * 1024; // two whole chunks
    const small = await appWith({ documentMaxBytes: max });
    try {
      const exact = await upload(officer, pdf(max), { ...on(), title: '正好' }, { url: small.url });
      expect(exact.status, exact.text).to.equal(201);
      expect(exact.body.sizeBytes).to.equal(max);
      const exactStreamed = await upload(officer, stream(pdf(max), 100_000), { ...on(), title: '正好流式' }, { url: small.url });
      expect(exactStreamed.status, exactStreamed.text).to.equal(201);
      const seq = await auditSeq();
      const over = await upload(officer, pdf(max + 1), on(), { url: small.url });
      clearError(over, 413, 'payload_too_large');
      const overStreamed = await upload(officer, stream(pdf(max + 1), 100_000), on(), { url: small.url });
      clearError(overStreamed, 413, 'payload_too_large');
      expect(await documentActions(seq)).to.deep.equal([]);
      const back = await fetch(`${base()}/documents/${exact.body.id}/content`, { headers: { authorization: `Bearer ${officer}` } });
      const bytes = Buffer.from(await back.arrayBuffer());
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).to.equal(crypto.createHash('sha256').update(pdf(max)).digest('hex'));
    } finally {
      small.close();
    }
  });

  it('answers a Range request with the right bytes (206 with Content-Range, or the whole file with 200)', async () => {
    const body = pdf(700_000); // two chunks
    const up = await upload(officer, body, { ...on(), title: '范围' });
    expect(up.status, up.text).to.equal(201);
    for (const [range, from, to] of [['bytes=0-9', 0, 9], ['bytes=524280-524300', 524280, 524300], ['bytes=-10', body.length - 10, body.length - 1]] as const) {
      const res = await fetch(`${base()}/documents/${up.body.id}/content`, { headers: { authorization: `Bearer ${officer}`, range } });
      const got = Buffer.from(await res.arrayBuffer());
      expect(res.status, range).to.be.oneOf([200, 206]);
      if (res.status === 206) {
        expect(res.headers.get('content-range')).to.equal(`bytes ${from}-${to}/${body.length}`);
        expect(got.equals(body.subarray(from, to + 1))).to.equal(true);
      } else {
        expect(got.equals(body)).to.equal(true);
        expect(res.headers.get('content-range')).to.equal(null);
      }
    }
    for (const range of ['bytes=9999999-', 'bytes=abc', 'items=0-1', 'bytes=5-2']) {
      const res = await fetch(`${base()}/documents/${up.body.id}/content`, { headers: { authorization: `Bearer ${officer}`, range } });
      const got = Buffer.from(await res.arrayBuffer());
      expect(res.status, range).to.be.oneOf([200, 416]);
      if (res.status === 200) expect(got.equals(body)).to.equal(true);
    }
  });

  it('keeps a withdrawn document readable (as docs/households.md says), withdraws once (409 again, also at once)', async () => {
    const up = await upload(officer, pdf(), { ...on(), title: '撤回' });
    const w = (reason = '上传错了') => api('POST', `/documents/${up.body.id}/withdraw`, { token: officer, body: { reason } });
    const seq = await auditSeq();
    const both = await Promise.all([w(), w()]);
    expect(both.map((b) => b.status).sort()).to.deep.equal([200, 409]);
    clearError(await w(), 409, 'invalid_state');
    const dl = await fetch(`${base()}/documents/${up.body.id}/content`, { headers: { authorization: `Bearer ${officer}` } });
    expect(dl.status).to.equal(200);
    expect(Buffer.from(await dl.arrayBuffer()).equals(pdf())).to.equal(true);
    expect(await documentActions(seq)).to.deep.equal(['document.withdrawn', 'document.viewed']);
    clearError(await api('POST', `/documents/${up.body.id}/withdraw`, { token: officer, body: { reason: '   ' } }), 400, 'validation_failed');
    clearError(await api('POST', `/documents/${up.body.id}/withdraw`, { token: officer, body: {} }), 400, 'validation_failed');
    clearError(await api('POST', `/documents/${up.body.id}/withdraw`, { token: officerHD, body: { reason: 'x' } }), 404, 'not_found');
    clearError(await api('POST', '/documents/2147483647/withdraw', { token: officer, body: { reason: 'x' } }), 404, 'not_found');
  });

  it('refuses owners that do not exist, are of another district or are of the wrong kind, before reading the body', async () => {
    const seq = await auditSeq();
    clearError(await upload(officer, pdf(), { ...on(), ownerId: 2147483647 }), 404, 'not_found');
    clearError(await upload(officer, pdf(), { ...on(), ownerId: hhHD }), 404, 'not_found');
    clearError(await upload(officerHD, pdf(), on()), 404, 'not_found');
    clearError(await upload(officer, pdf(), { ...on(), ownerKind: 'exit' }), 404, 'not_found'); // the file's id is no exit event
    clearError(await upload(officer, pdf(), { ...on(), ownerKind: 'visit', ownerId: 2147483647 }), 404, 'not_found');
    clearError(await upload(officer, pdf(), { ...on(), ownerKind: 'aid_case', ownerId: 2147483647 }), 404, 'not_found');
    for (const bad of [{ ownerId: 0 }, { ownerId: 99999999999 }, { ownerId: '1.5' }, { ownerId: 'abc' }, { ownerKind: 'Household' }, { ownerKind: 'loan' }]) {
      clearError(await upload(officer, pdf(), { ...on(), ...bad }), 400, 'validation_failed');
    }
    expect(await documentActions(seq)).to.deep.equal([]);
  });

  it('takes Unicode titles up to 200 characters, refuses longer, blank or control-character ones', async () => {
    const long = '住院费用清单'.repeat(40).slice(0, 200);
    for (const title of [long, '𠀀𪚥 病历 🏥', '发票 "原件" / 复印件\\', 'ＰＤＦ　全角', 'שלום \u202e fdp.exe']) {
      const r = await upload(officer, pdf(), { ...on(), title });
      expect(r.status, `${title}: ${r.text}`).to.equal(201);
      expect(r.body.title).to.equal(title.trim());
      const dl = await fetch(`${base()}/documents/${r.body.id}/content`, { headers: { authorization: `Bearer ${officer}` } });
      expect(dl.status).to.equal(200);
      expect(dl.headers.get('content-disposition')).to.match(/^inline; filename="document-\d+\.pdf"; filename\*=UTF-8''/);
      await dl.arrayBuffer();
    }
    const seq = await auditSeq();
    for (const title of [long + '多', '   ', '', '第一行\n第二行', 'tab\there', 'nul\u0000']) {
      clearError(await upload(officer, pdf(), { ...on(), title }), 400, 'validation_failed');
    }
    const noTitle = await upload(officer, pdf(), { ownerKind: 'household', ownerId: hh });
    clearError(noTitle, 400, 'validation_failed');
    expect(await documentActions(seq)).to.deep.equal([]);
  });
});
