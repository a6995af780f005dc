// Signed checkpoints of the chain head (like Certificate Transparency's signed tree heads and C2SP
// tlog-checkpoint): the service signs "this log had this hash at this seq" with an Ed25519 key it holds
// outside the database, so an owner who rewrites the tables and recomputes every hash cannot make the new
// log agree with a checkpoint someone saved earlier. Exact bytes: docs/audit-chain.md.
import crypto from 'node:crypto';
import { invariant } from '../platform/errors';

export const CHECKPOINT_ORIGIN = 'warmth-ledger audit log';
/** The time of a chain with no rows yet. */
export const EMPTY_CHAIN_TIME = '2000-01-01T00:00:00.000Z';

export interface CheckpointHead {
  seq: number;
  hash: string;
  /** ISO-8601 UTC time of row `seq` (EMPTY_CHAIN_TIME when seq is 0). */
  time: string;
}

export interface Checkpoint extends CheckpointHead {
  /** Base64 of the 64-byte Ed25519 signature of checkpointNote(). */
  signature: string;
  keyId: string;
}

export interface PublicKeyInfo {
  keyId: string;
  algorithm: 'Ed25519';
  /** SubjectPublicKeyInfo PEM (what `openssl pkeyutl -verify -pubin` reads). */
  publicKey: string;
  /** Base64 of the raw 32-byte public key. */
  publicKeyRaw: string;
}

/** The signed text: four lines, each ended by a newline, UTF-8. */
export const checkpointNote = (h: CheckpointHead) => `${CHECKPOINT_ORIGIN}\n${h.seq}\n${h.hash}\n${h.time}\n`;

/** Raw 32 bytes of an Ed25519 public key (the last 32 bytes of its SPKI DER). */
const rawPublicKey = (key: crypto.KeyObject) => key.export({ format: 'der', type: 'spki' }).subarray(-32);

/** First 16 hex characters of SHA-256 of the raw 32-byte public key. */
export const keyIdOf = (publicKey: crypto.KeyObject) => crypto.createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);

export function publicKeyInfo(publicKey: crypto.KeyObject): PublicKeyInfo {
  return {
    keyId: keyIdOf(publicKey),
    algorithm: 'Ed25519',
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyRaw: rawPublicKey(publicKey).toString('base64'),
  };
}

/** A public key from SPKI PEM, or from base64 of its raw 32 bytes. */
export function parsePublicKey(text: string): crypto.KeyObject {
  const t = text.trim();
  const key = t.includes('-----BEGIN')
    ? crypto.createPublicKey(t)
    : crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(t, 'base64')]), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the public key is not an Ed25519 key');
  return key;
}

export function verifyCheckpoint(cp: Checkpoint, publicKey: crypto.KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(cp.signature ?? '')) return false;
  return crypto.verify(null, Buffer.from(checkpointNote(cp), 'utf8'), publicKey, Buffer.from(cp.signature, 'base64'));
}

let signer: { privateKey: crypto.KeyObject; info: PublicKeyInfo } | undefined;

/** The Ed25519 private key (PKCS8 PEM, from SIGNING_KEY or DATA_DIR/secrets.json); set once at start. */
export function configureSigningKey(pkcs8Pem: string) {
  const privateKey = crypto.createPrivateKey(pkcs8Pem);
  invariant(privateKey.asymmetricKeyType === 'ed25519', 'the signing key is not an Ed25519 key');
  signer = { privateKey, info: publicKeyInfo(crypto.createPublicKey(privateKey)) };
}

export function signingKeyInfo(): PublicKeyInfo {
  invariant(signer, 'the signing key is not configured');
  return signer.info;
}

/** Signs a head. Ed25519 is deterministic: the same head gives the same checkpoint, byte for byte. */
export function signCheckpoint(head: CheckpointHead): Checkpoint {
  invariant(signer, 'the signing key is not configured');
  const signature = crypto.sign(null, Buffer.from(checkpointNote(head), 'utf8'), signer.privateKey).toString('base64');
  return { seq: head.seq, hash: head.hash, time: head.time, signature, keyId: signer.info.keyId };
}
