// npm run verify-log -- --base URL [--checkpoint saved.json] [--key key.pem] [--save file.json] [--no-rows]
//
// An outsider's check of the public audit log (docs/audit-chain.md), needing nothing but HTTP: fetches
// /public/log page by page, recomputes every hash (versions 1 and 2) and link, checks the signed checkpoint
// of the head, and — given a checkpoint saved earlier — that today's log still extends it: row `seq` of the
// saved checkpoint still has its hash (else the log was rewritten), the log is not shorter (a cut tail) and
// the signed head did not move backwards. It names the first row that differs: exactly, when the saved file
// holds every row's hash (what --save writes), else the checkpoint's row.
// Exit 0: the log extends the checkpoint (the new head is printed). 1: it does not. 2: the check could not run.
import fs from 'node:fs';
import type crypto from 'node:crypto';
import { chainHash, GENESIS_HASH, type HashVersion } from '../audit/chain';
import type { PublicLogItem } from '../audit/service';
import { parsePublicKey, publicKeyInfo, verifyCheckpoint, type Checkpoint } from '../audit/checkpoint';
import { canonicalJson } from '../platform/canonical-json';

export interface VerifyLogOptions {
  /** The service, e.g. http://127.0.0.1:3000 (with or without /api/v1). */
  base: string;
  /** A checkpoint saved earlier: the JSON of /public/log/checkpoint, or a file written by --save. */
  checkpoint?: string;
  /** The public key, kept apart from the server: SPKI PEM, base64 of the raw 32 bytes, or the JSON of /public/log/key. */
  key?: string;
  /** Write the head's checkpoint, the public key and (unless rows is false) every row's hash here when all checks pass. */
  save?: string;
  rows?: boolean;
  pageSize?: number;
}

/** What --save writes (a plain checkpoint is accepted too). */
export interface SavedCheckpoint extends Checkpoint {
  publicKey?: string;
  /** hash of row i + 1 at index i, for rows 1..seq. */
  rowHashes?: string[];
}

export interface VerifyLogResult {
  exitCode: 0 | 1 | 2;
  /** Lines for people (stdout). */
  lines: string[];
  /** Warnings (stderr). */
  warnings: string[];
  head?: Checkpoint;
  /** The first row that differs from the saved checkpoint or does not verify. */
  firstBadSeq?: number;
}

/** A row as GET /public/log serves it; a log from before hash version 2 has no hashVersion. */
type Item = Omit<PublicLogItem, 'hashVersion'> & { hashVersion?: HashVersion };

class Failure extends Error {
  constructor(message: string, readonly seq?: number) {
    super(message);
  }
}

function readKey(text: string): crypto.KeyObject {
  const t = text.trim();
  if (t.startsWith('{')) {
    const j = JSON.parse(t);
    return parsePublicKey(j.publicKey ?? j.publicKeyRaw);
  }
  return parsePublicKey(t);
}

/** Recomputes one served row's hash (docs/audit-chain.md). */
export const servedRowHash = (it: Item) =>
  chainHash({
    hashVersion: it.hashVersion ?? 1,
    seq: it.seq,
    time: it.time,
    actor: it.actor,
    action: it.action,
    subject: it.subject,
    publicPayload: it.publicPayload === null ? 'null' : canonicalJson(it.publicPayload),
    privateDigest: it.privateDigest,
    prevHash: it.prevHash,
  });

export async function verifyLog(o: VerifyLogOptions): Promise<VerifyLogResult> {
  const lines: string[] = [];
  const warnings: string[] = [];
  const api = o.base.replace(/\/+$/, '').replace(/\/api\/v1$/, '') + '/api/v1';
  const get = async (path: string) => {
    const r = await fetch(`${api}${path}`, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(`GET ${path} answered ${r.status}`);
    return r.json() as Promise<any>;
  };
  let saved: SavedCheckpoint | undefined;
  let key: crypto.KeyObject;
  let head: Checkpoint;
  try {
    saved = o.checkpoint ? JSON.parse(fs.readFileSync(o.checkpoint, 'utf8')) : undefined;
    if (saved && !(Number.isInteger(saved.seq) && typeof saved.hash === 'string' && typeof saved.signature === 'string')) throw new Error(`${o.checkpoint} is not a checkpoint`);
    if (o.key) key = readKey(fs.readFileSync(o.key, 'utf8'));
    else if (saved?.publicKey) {
      key = parsePublicKey(saved.publicKey);
      warnings.push(`the public key is the one saved in ${o.checkpoint} (pass --key with a copy kept apart from the server to be sure of it)`);
    } else {
      key = readKey(JSON.stringify(await get('/public/log/key')));
      warnings.push('warning: the public key was fetched from the same server; a server that rewrote its log could change its key too. Pass --key with a copy kept elsewhere.');
    }
    head = await get('/public/log/checkpoint');
  } catch (e) {
    return { exitCode: 2, lines, warnings: [...warnings, `verify-log could not start: ${(e as Error).message}`] };
  }
  const keyId = publicKeyInfo(key).keyId;
  try {
    if (saved) {
      if (saved.keyId !== keyId) throw new Failure(`the saved checkpoint was signed by key ${saved.keyId}, not by key ${keyId}`);
      if (!verifyCheckpoint(saved, key)) throw new Failure(`the saved checkpoint's signature does not verify with key ${keyId}`);
    }
    if (head.keyId !== keyId || !verifyCheckpoint(head, key)) throw new Failure(`the server's checkpoint (seq ${head.seq}) is not signed by key ${keyId}`);
    if (saved && head.seq < saved.seq) {
      throw new Failure(`the signed head moved backwards: seq ${head.seq} now, seq ${saved.seq} in the saved checkpoint (rows ${head.seq + 1}–${saved.seq} were cut)`, head.seq + 1);
    }

    // Walk the whole log: every link and hash, and every row against the saved copy.
    const rowHashes: string[] = [];
    let prevHash = GENESIS_HASH;
    let prevVersion = 1;
    let last = 0;
    const pageSize = o.pageSize ?? 500;
    for (;;) {
      const page: { items: Item[] } = await get(`/public/log?after=${last}&limit=${pageSize}`);
      for (const it of page.items) {
        const seq = it.seq;
        if (seq !== last + 1) throw new Failure(`row ${last + 1} is missing (the next row served is ${seq})`, last + 1);
        if (it.prevHash !== prevHash) throw new Failure(`row ${seq} does not link to row ${seq - 1}`, seq);
        const version = it.hashVersion ?? 1;
        if (version < prevVersion) throw new Failure(`row ${seq} has hash version ${version} after version-${prevVersion} rows`, seq);
        if (servedRowHash(it) !== it.hash) throw new Failure(`row ${seq} does not match its hash (${it.action}, ${it.time})`, seq);
        if (saved?.rowHashes && seq <= saved.rowHashes.length && saved.rowHashes[seq - 1] !== it.hash) {
          throw new Failure(`row ${seq} differs from the saved copy: the log was rewritten from row ${seq} on (${it.action}, ${it.time})`, seq);
        }
        if (saved && seq === saved.seq && it.hash !== saved.hash) {
          throw new Failure(
            `row ${seq} has hash ${it.hash}, the saved checkpoint says ${saved.hash}: the log up to row ${seq} was rewritten` +
              (saved.rowHashes ? '' : ' (a checkpoint saved with --save keeps every row’s hash and names the first rewritten row)'),
            seq,
          );
        }
        if (seq === head.seq && it.hash !== head.hash) throw new Failure(`the signed head (seq ${head.seq}) does not match row ${head.seq} of the log served`, seq);
        if (o.save && o.rows !== false && seq <= head.seq) rowHashes.push(it.hash);
        prevHash = it.hash;
        prevVersion = version;
        last = seq;
      }
      if (page.items.length < pageSize) break;
    }
    if (saved && last < saved.seq) throw new Failure(`the log ends at row ${last}, before the saved checkpoint's row ${saved.seq}: rows ${last + 1}–${saved.seq} were cut`, last + 1);
    if (last < head.seq) throw new Failure(`the log ends at row ${last}, before the server's own signed head ${head.seq}`, last + 1);
    lines.push(
      saved
        ? `ok: the log extends the saved checkpoint (seq ${saved.seq}); ${last} rows verify`
        : `ok: ${last} rows verify (no saved checkpoint to compare with: save one with --save)`,
    );
    lines.push(`head: seq ${head.seq} hash ${head.hash} time ${head.time}`);
    lines.push(`checkpoint signed by key ${keyId}: ${head.signature}`);
    if (o.save) {
      const out: SavedCheckpoint = { ...head, publicKey: publicKeyInfo(key).publicKey, ...(o.rows !== false ? { rowHashes } : {}) };
      fs.writeFileSync(o.save, JSON.stringify(out, null, 1));
      lines.push(`saved to ${o.save}${o.rows !== false ? ` with the hash of every row 1–${head.seq}` : ''}`);
    }
    return { exitCode: 0, lines, warnings, head };
  } catch (e) {
    if (!(e instanceof Failure)) return { exitCode: 2, lines, warnings: [...warnings, `verify-log could not finish: ${(e as Error).message}`] };
    lines.push(`FAILED: ${e.message}`);
    if (e.seq !== undefined) lines.push(`first row that differs: ${e.seq}`);
    return { exitCode: 1, lines, warnings, head, firstBadSeq: e.seq };
  }
}

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run verify-log -- --base URL [--checkpoint saved.json] [--key key.pem] [--save file.json] [--no-rows]');
  process.exit(2);
}

async function main() {
  const argv = process.argv.slice(2);
  const opt: Record<string, string> = {};
  let rows = true;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '--no-rows') rows = false;
    else if (['--base', '--checkpoint', '--key', '--save'].includes(k) && argv[i + 1] !== undefined) opt[k.slice(2)] = argv[++i]!;
    else usage(`bad argument: ${k}`);
  }
  if (!opt.base) usage('--base is required');
  const r = await verifyLog({ base: opt.base, checkpoint: opt.checkpoint, key: opt.key, save: opt.save, rows });
  for (const w of r.warnings) console.error(w);
  for (const l of r.lines) console.log(l);
  return r.exitCode;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`verify-log could not run: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
