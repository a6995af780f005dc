import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config';

/** SIGNING_KEY (the Ed25519 key of audit checkpoints): its formats, and the one generated into DATA_DIR. */
describe('audit: the checkpoint signing key in the configuration', () => {
  let dir: string;
  const base = () => ({ DATA_DIR: dir, AUDIT_SECRET: 'x'.repeat(20), DATA_KEY: 'ab'.repeat(32) });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-signing-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const publicOf = (pem: string) => crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ format: 'der', type: 'spki' }).toString('hex');

  it('takes a PKCS8 PEM (also with \\n escapes, as env files write it) or base64 of the 32-byte seed', () => {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32).toString('base64');
    const fromPem = loadConfig({ ...base(), SIGNING_KEY: pem }).signingKey;
    expect(publicOf(fromPem)).to.equal(publicOf(pem));
    expect(publicOf(loadConfig({ ...base(), SIGNING_KEY: pem.replace(/\n/g, '\\n') }).signingKey)).to.equal(publicOf(pem));
    expect(publicOf(loadConfig({ ...base(), SIGNING_KEY: seed }).signingKey)).to.equal(publicOf(pem));
    expect(fs.existsSync(path.join(dir, 'secrets.json')), 'nothing generated when every secret is given').to.equal(false);
  });

  it('refuses anything else with one message naming SIGNING_KEY', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    for (const bad of ['not a key', Buffer.alloc(31).toString('base64'), rsa]) {
      expect(() => loadConfig({ ...base(), SIGNING_KEY: bad })).to.throw(/SIGNING_KEY/);
    }
  });

  it('without SIGNING_KEY: generated once into DATA_DIR/secrets.json, and added to a secrets.json from before it', () => {
    const a = loadConfig(base()).signingKey;
    expect(loadConfig(base()).signingKey).to.equal(a);
    const file = path.join(dir, 'secrets.json');
    fs.writeFileSync(file, JSON.stringify({ auditSecret: 'old-secret-0123456789', dataKey: 'cd'.repeat(32) }));
    const c = loadConfig({ DATA_DIR: dir });
    expect(c.auditSecret).to.equal('old-secret-0123456789');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(saved).to.include({ auditSecret: 'old-secret-0123456789', dataKey: 'cd'.repeat(32) });
    expect(publicOf(saved.signingKey)).to.equal(publicOf(c.signingKey));
  });

  it('is required with DATABASE_URL in production, like AUDIT_SECRET', () => {
    expect(() => loadConfig({ ...base(), DATABASE_URL: 'postgres://u@h/db', NODE_ENV: 'production', DEMO_DATA: 'off' })).to.throw(/SIGNING_KEY/);
  });
});
