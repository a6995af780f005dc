import crypto from 'node:crypto';
import { canonicalJson, sha256Hex } from '../platform/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainRow {
  seq: number;
  time: string; // ISO-8601 UTC with milliseconds
  action: string;
  publicPayload: string; // canonical JSON text, 'null' when there is none
  privateDigest: string;
  prevHash: string;
}

export const privateDigestOf = (secret: string, privatePayloadJson: string) =>
  crypto.createHmac('sha256', secret).update(privatePayloadJson).digest('hex');

/** hash = sha256(prevHash | seq | time | action | sha256(publicPayload) | privateDigest), fields joined by '|'. */
export const chainHash = (r: ChainRow) =>
  sha256Hex([r.prevHash, String(r.seq), r.time, r.action, sha256Hex(r.publicPayload), r.privateDigest].join('|'));

export const canonicalPayload = (payload: unknown) => canonicalJson(payload ?? null);
