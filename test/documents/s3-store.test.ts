import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { api, userToken } from '../support/api';
import { household } from '../support/fixtures';
import { testService } from '../support/env';
import { appWith } from '../support/second-app';
import { clock } from '../../src/platform/clock';
import { ConfigError, loadConfig, type S3Settings } from '../../src/platform/config';
import { freePort } from '../../src/platform/free-port';
import { eraseExpiredDocuments } from '../../src/documents';
import { documentSettings, sendDocumentContent } from '../../src/documents/service';
import { configuredStore, type ChunkStore } from '../../src/documents/store';
import type { S3ChunkStore } from '../../src/documents/s3-store';

// Supporting documents in an S3-compatible object store (issue 18): a real S3 server process — MinIO when its
// binary is on PATH, else s3rver (an S3 server in Node) in this process on a temp folder and a free port.

const MARKER = `S3-PLAINTEXT-${crypto.randomBytes(6).toString('hex')}`;
const BUCKET = 'warmth-documents-test';
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
/** A PDF by its content (file-type reads the header) with the marker at both ends, `size` bytes long. */
const pdf = (size: number) => {
  const head = `%PDF-1.4\n%${MARKER}\n`;
  const tail = `\n%${MARKER}\n%%EOF\n`;
  return Buffer.from(head + '%'.padEnd(size - head.length - tail.length, 'q') + tail, 'latin1');
};

interface S3Server { endpoint: string; accessKeyId: string; secretAccessKey: string; kind: string; stop(): Promise<void> }

/** s3rver has no types of its own: the little of it used here. */
interface S3rverInstance { run(): Promise<{ port: number }>; close(): Promise<void> }
type S3rverClass = new (opts: { port: number; address: string; silent: boolean; directory: string; resetOnClose: boolean }) => S3rverInstance;

async function startS3(dir: string): Promise<S3Server> {
  const minio = spawnSync('sh', ['-c', 'command -v minio'], { encoding: 'utf8' }).stdout.trim();
  if (minio) {
    const port = await freePort();
    const [accessKeyId, secretAccessKey] = ['warmth-test', crypto.randomBytes(12).toString('hex')];
    const proc: ChildProcess = spawn(minio, ['server', dir, '--address', `127.0.0.1:${port}`, '--quiet'], {
      env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey }, stdio: 'ignore',
    });
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${endpoint}/minio/health/live`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { endpoint, accessKeyId, secretAccessKey, kind: 'minio', stop: async () => { proc.kill('SIGTERM'); } };
  }
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, resetOnClose: true });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', kind: 's3rver', stop: () => server.close() };
}

async function asOwner<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: testService().ownerUrl });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

describe('supporting documents in an S3-compatible object store', function () {
  this.timeout(120_000);
  let server: S3Server;
  let dir: string;
  let s3: S3Settings;
  let raw: S3Client;
  let store: S3ChunkStore;
  let app: Awaited<ReturnType<typeof appWith>>;
  let officer: string;
  let auditor: { token: string; username: string; id: number };
  let hh: number;

  const upload = async (bytes: Buffer, url = app.url) => {
    const res = await fetch(`${url}/documents?ownerKind=household&ownerId=${hh}&title=${encodeURIComponent('医院票据')}`, {
      method: 'POST', headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/pdf' }, body: new Uint8Array(bytes),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { id: number } };
  };
  const content = async (id: number, url = app.url) => {
    const res = await fetch(`${url}/documents/${id}/content`, { headers: { authorization: `Bearer ${auditor.token}` } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const object = async (key: string) => Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
  const allKeys = async () => ((await raw.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!).sort();
  const docRow = (id: number) => asOwner(async (c) => ({
    doc: (await c.query('SELECT storage, sha256, chunk_count, erased_at FROM documents WHERE id = $1', [id])).rows[0] as { storage: string; sha256: string; chunk_count: number; erased_at: Date | null },
    chunkRows: Number((await c.query('SELECT count(*) AS n FROM document_chunks WHERE document_id = $1', [id])).rows[0].n),
  }));

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-s3-'));
    server = await startS3(dir);
    s3 = { endpoint: server.endpoint, bucket: BUCKET, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, region: 'us-east-1', forcePathStyle: true };
    raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    await raw.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = configuredStore({ s3 }) as S3ChunkStore;
    expect(store.kind).to.equal('s3');
    app = await appWith({ s3 });
    officer = (await userToken(['officer'], 'CY')).token;
    auditor = await userToken(['auditor']);
    hh = await household(officer, 'CY', '钱对象');
  });

  after(async () => {
    app?.close();
    store?.client.destroy();
    raw?.destroy();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`puts each sealed chunk as its own object (documents/<id>/<seq>), nothing in document_chunks, no plaintext in the bucket`, async () => {
    const bytes = pdf(1_300_000); // 3 chunks of 512 KiB
    const up = await upload(bytes);
    expect(up.status, up.text).to.equal(201);
    const { doc, chunkRows } = await docRow(up.body.id);
    expect(doc).to.include({ storage: 's3', chunk_count: 3, sha256: sha256(bytes) });
    expect(chunkRows).to.equal(0);
    const keys = await store.keys(up.body.id);
    expect(keys.sort()).to.deep.equal([0, 1, 2].map((i) => `documents/${up.body.id}/${i}`));
    let total = 0;
    for (const k of keys) {
      const sealed = await object(k);
      total += sealed.length;
      for (const plain of [MARKER, '%PDF', 'qqqqqqqq']) expect(sealed.includes(Buffer.from(plain)), `${plain} in ${k}`).to.equal(false);
    }
    expect(total).to.equal(bytes.length + 3 * 28); // nonce and tag per chunk
  });

  it('streams a download back exactly, reading ahead at most a chunk or two while the client is slow', async () => {
    const bytes = pdf(8 * 1024 * 1024); // 16 chunks
    const up = await upload(bytes);
    expect(up.status, up.text).to.equal(201);
    const back = await content(up.body.id);
    expect(back.status).to.equal(200);
    expect(sha256(back.bytes)).to.equal(sha256(bytes));

    // The same through the service with a client that takes its time: count the objects fetched meanwhile.
    let gets = 0;
    const counting: ChunkStore = { ...store, get: (db, id, seq) => { gets += 1; return store.get(db, id, seq); } };
    const settings = documentSettings({ ...testService().ctx.config, s3 }, counting);
    const received: Buffer[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const seenAtFirstWrite: number[] = [];
    const out = Object.assign(new Writable({
      highWaterMark: 1,
      write(piece: Buffer, _enc, done) {
        received.push(piece);
        if (received.length === 1) { seenAtFirstWrite.push(gets); void held.then(() => done()); } else done();
      },
    }), { setHeader: () => undefined });
    const user = { id: auditor.id, username: auditor.username, displayName: auditor.username, roles: ['auditor' as const], district: null };
    const sending = sendDocumentContent(testService().ctx.db, settings, user, up.body.id, out);
    await new Promise((r) => setTimeout(r, 500));
    const whileHeld = gets;
    release();
    await sending;
    expect(seenAtFirstWrite[0]).to.be.at.most(2);
    expect(whileHeld, 'objects fetched while the client held the first chunk').to.be.at.most(3);
    expect(gets).to.equal(16);
    expect(sha256(Buffer.concat(received))).to.equal(sha256(bytes));
  });

  it('a service with S3 still serves a document stored earlier in PostgreSQL; one without S3 answers 503 for an S3 one', async () => {
    const older = pdf(700_000);
    const inDb = await upload(older, `${testService().url}/api/v1`);
    expect(inDb.status, inDb.text).to.equal(201);
    expect((await docRow(inDb.body.id)).doc.storage).to.equal('database');
    expect((await docRow(inDb.body.id)).chunkRows).to.equal(2);
    const viaS3App = await content(inDb.body.id);
    expect(viaS3App.status).to.equal(200);
    expect(viaS3App.bytes.equals(older)).to.equal(true);

    const inS3 = await upload(pdf(10_000));
    const res = await fetch(`${testService().url}/api/v1/documents/${inS3.body.id}/content`, { headers: { authorization: `Bearer ${auditor.token}` } });
    const body = await res.json() as { error: { code: string } };
    expect(res.status).to.equal(503);
    expect(body.error.code).to.equal('unavailable');
  });

  it('a refused or failed upload leaves no object behind', async () => {
    const small = await appWith({ s3, documentMaxBytes: 1024 * 1024 });
    try {
      const before = await allKeys();
      const big = pdf(3 * 1024 * 1024);
      // No Content-Length: two chunks are put before the limit is passed, then discarded.
      const streamed = new ReadableStream<Uint8Array>({
        start(ctl) {
          for (let i = 0; i < big.length; i += 64 * 1024) ctl.enqueue(new Uint8Array(big.subarray(i, i + 64 * 1024)));
          ctl.close();
        },
      });
      const init: RequestInit & { duplex: 'half' } = { method: 'POST', headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/pdf' }, body: streamed, duplex: 'half' };
      const res = await fetch(`${small.url}/documents?ownerKind=household&ownerId=${hh}&title=big`, init);
      expect(res.status).to.equal(413);
      expect(await allKeys()).to.deep.equal(before);
    } finally {
      small.close();
    }
  });

  it('withdrawal, then the erase job deletes the objects (DeleteObjects) and keeps the row, its hash and the audit rows; it sweeps objects of crashed uploads', async () => {
    const bytes = pdf(600_000);
    const up = await upload(bytes);
    const kept = await upload(pdf(5000)); // not withdrawn: its objects stay
    const id = up.body.id;
    expect(await store.keys(id)).to.have.length(2);
    const w = await api('POST', `/documents/${id}/withdraw`, { token: officer, body: { reason: '重复上传' } });
    expect(w.status, w.text).to.equal(200);
    // Objects an upload cut by a crash left: an id with no document row.
    const orphan = 2_000_000_000 + Math.floor(Math.random() * 1000);
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: `documents/${orphan}/0`, Body: crypto.randomBytes(64) }));

    const ctx = { db: testService().ctx.db, config: { ...testService().ctx.config, s3 } };
    await eraseExpiredDocuments(ctx, clock.now());
    expect(await store.keys(id), 'kept for the retention period').to.have.length(2);
    expect(await store.keys(orphan), 'too young to sweep: an upload may be in flight').to.have.length(1);

    const later = new Date(clock.now().getTime() + (ctx.config.documentRetentionYears * 366 + 2) * 86_400_000);
    expect(await eraseExpiredDocuments(ctx, later)).to.be.greaterThan(0);
    expect(await store.keys(id)).to.deep.equal([]);
    expect(await store.keys(orphan)).to.deep.equal([]);
    expect(await store.keys(kept.body.id)).to.have.length(1);
    const { doc } = await docRow(id);
    expect(doc.sha256).to.equal(sha256(bytes));
    expect(doc.erased_at).to.not.equal(null);
    const audit = await asOwner(async (c) => (await c.query(`SELECT action, private_payload FROM audit_log WHERE subject = $1 ORDER BY seq`, [`document:${id}`])).rows as { action: string; private_payload: string }[]);
    expect(audit.map((a) => a.action)).to.include.members(['document.attached', 'document.withdrawn', 'document.erased']);
    expect(JSON.parse(audit.find((a) => a.action === 'document.erased')!.private_payload).sha256).to.equal(sha256(bytes));
    expect((await content(id)).status).to.equal(410);
    expect((await content(kept.body.id)).status).to.equal(200);
  });

  it('refuses half an S3 configuration at load, naming the missing variable', () => {
    const base = { DATA_DIR: '/tmp/warmth-config-test', AUDIT_SECRET: 'x'.repeat(20), DATA_KEY: 'ab'.repeat(32) };
    const full = { S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'warmth-docs', S3_ACCESS_KEY_ID: 'warmth', S3_SECRET_ACCESS_KEY: 'secret-secret' };
    expect(loadConfig(base).s3).to.equal(undefined);
    expect(loadConfig({ ...base, ...full }).s3).to.deep.equal({ endpoint: 'http://minio:9000', bucket: 'warmth-docs', accessKeyId: 'warmth', secretAccessKey: 'secret-secret', region: 'us-east-1', forcePathStyle: true });
    expect(loadConfig({ ...base, ...full, S3_REGION: 'cn-north-1', S3_FORCE_PATH_STYLE: 'false' }).s3).to.include({ region: 'cn-north-1', forcePathStyle: false });
    for (const missing of Object.keys(full)) {
      const env: Record<string, string> = { ...base, ...full };
      delete env[missing];
      expect(() => loadConfig(env), missing).to.throw(ConfigError, new RegExp(`"${missing}" is missing`));
    }
    expect(() => loadConfig({ ...base, S3_REGION: 'us-east-1' })).to.throw(ConfigError, /"S3_ENDPOINT" is missing/);
    expect(() => loadConfig({ ...base, ...full, S3_BUCKET: 'Bad_Bucket' })).to.throw(ConfigError, /S3_BUCKET/);
    expect(() => loadConfig({ ...base, ...full, S3_ENDPOINT: 'ftp://x' })).to.throw(ConfigError, /S3_ENDPOINT/);
  });
});
