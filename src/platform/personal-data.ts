import crypto from 'node:crypto';
import { invariant } from './errors';

// Personal data at rest (ID numbers, phones): AES-256-GCM with DATA_KEY, plus a keyed hash (HMAC) where a
// value must be found or kept unique without decrypting. A database dump alone reveals neither.
let dataKey: Buffer | undefined;
let hashKey: Buffer | undefined;

export function configureDataKey(key: Buffer) {
  invariant(key.length === 32, 'DATA_KEY must be 32 bytes');
  dataKey = key;
  hashKey = crypto.createHmac('sha256', key).update('warmth-ledger keyed hash v1').digest();
}

function keys() {
  invariant(dataKey && hashKey, 'DATA_KEY is not configured');
  return { dataKey, hashKey };
}

/** 'v1.<iv>.<tag>.<ciphertext>' in base64url. */
export function encryptPersonal(plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keys().dataKey, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptPersonal(sealed: string): string {
  const [v, iv, tag, body] = sealed.split('.');
  invariant(v === 'v1' && iv && tag && body !== undefined, 'not a sealed personal value');
  const decipher = crypto.createDecipheriv('aes-256-gcm', keys().dataKey, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** Deterministic keyed hash for equality look-ups (e.g. one active file per ID number). */
export const keyedHash = (value: string) => crypto.createHmac('sha256', keys().hashKey).update(value).digest('hex');
