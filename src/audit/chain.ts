import crypto from 'node:crypto';
import { canonicalJson, sha256Hex } from '../platform/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);
/** The hash version every new row is written with (docs/audit-chain.md). */
export const HASH_VERSION = 2;
export type HashVersion = 1 | 2;

export interface ChainRow {
  hashVersion: HashVersion;
  seq: number;
  time: string; // ISO-8601 UTC with milliseconds
  /** Username, 'public' or 'system' (in the hash from version 2 on). */
  actor: string;
  action: string;
  /** e.g. 'journal-entry:2026-000012' (in the hash from version 2 on). */
  subject: string;
  publicPayload: string; // canonical JSON text, 'null' when there is none
  privateDigest: string;
  prevHash: string;
}

export const privateDigestOf = (secret: string, privatePayloadJson: string) =>
  crypto.createHmac('sha256', secret).update(privatePayloadJson).digest('hex');

/**
 * The row hash, fields joined by '|':
 *   version 1: sha256(prevHash | seq | time | action | sha256(publicPayload) | privateDigest)
 *   version 2: sha256(2 | prevHash | seq | time | action | sha256(actor) | sha256(subject) | sha256(publicPayload) | privateDigest)
 * Free text (actor, subject, payload) enters as its SHA-256, so a '|' inside it cannot shift a field boundary.
 */
export function chainHash(r: ChainRow): string {
  if (r.hashVersion === 1) {
    return sha256Hex([r.prevHash, String(r.seq), r.time, r.action, sha256Hex(r.publicPayload), r.privateDigest].join('|'));
  }
  if (r.hashVersion === 2) {
    return sha256Hex(['2', r.prevHash, String(r.seq), r.time, r.action, sha256Hex(r.actor), sha256Hex(r.subject), sha256Hex(r.publicPayload), r.privateDigest].join('|'));
  }
  throw new Error(`unknown audit hash version ${String(r.hashVersion)}`);
}

export const canonicalPayload = (payload: unknown) => canonicalJson(payload ?? null);
