// The bearer-token check without a database round trip per request (issue 15: it was ~1 ms at one client and
// 4–5 ms of waiting at eight). A token's user is kept for TOKEN_CACHE_SECONDS, and revocation stays immediate:
// triggers on sessions and users (migration 20261127_1000) NOTIFY 'warmth_auth' on any revocation, disabling or
// change of rights, whoever makes it (this instance, another instance, or SQL by hand); every instance LISTENs
// and drops its whole cache. While the listening connection is down the cache is not used at all, so a missed
// notification can never keep a revoked token alive.
import pg from 'pg';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { clock } from '../platform/clock';
import type { SessionUser } from './model';

export const AUTH_CHANNEL = 'warmth_auth';
/** The most tokens one instance keeps; past it the oldest go first (a flood of distinct tokens cannot grow memory). */
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1_000;

export interface CachedSession {
  user: SessionUser;
  expiresAt: Date;
}

export class TokenCache {
  private entries = new Map<string, CachedSession & { cachedAt: number }>();
  /** Bumped by every invalidation: a lookup that began before one must not store what it read. */
  private generation = 0;
  private listening = false;
  private client?: pg.Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  /** The session behind a token hash: from the cache when it is live, else from `load` (then kept). */
  async lookup(tokenHash: string, load: () => Promise<CachedSession | undefined>): Promise<SessionUser | undefined> {
    const now = clock.now();
    if (this.listening) {
      const hit = this.entries.get(tokenHash);
      if (hit && Date.now() - hit.cachedAt < this.ttlMs && hit.expiresAt > now) return hit.user;
      if (hit) this.entries.delete(tokenHash);
    }
    const generation = this.generation;
    const found = await load();
    if (found && this.listening && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(tokenHash, { ...found, cachedAt: Date.now() });
    }
    return found?.user;
  }

  invalidate() {
    this.generation += 1;
    this.entries.clear();
  }

  async start() {
    await this.connect();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.listening = false;
    this.invalidate();
    await this.client?.end().catch(() => undefined);
  }

  private async connect() {
    if (this.stopped) return;
    const client = new pg.Client({ ...this.connection, application_name: 'warmth-ledger-auth-listener' });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.listening = false;
      this.invalidate();
      this.client = undefined;
      if (this.stopped) return;
      this.log.warn({ err }, 'token cache: the LISTEN connection was lost; checking every token in the database until it is back');
      client.end().catch(() => undefined);
      this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
      this.retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.invalidate());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      // Anything cached before LISTEN took effect may have missed a notification.
      this.invalidate();
      this.listening = true;
    } catch (err) {
      lost(err as Error);
    }
  }
}

const caches = new WeakMap<Knex, TokenCache>();
const live = new Set<TokenCache>();

/**
 * Called by the writes that revoke or change rights: when their transaction commits, this process's caches are
 * dropped at once (before its next request is read), without waiting for the notification's trip.
 */
export function invalidateTokenCaches(trx: Knex.Transaction) {
  trx.executionPromise.then(() => live.forEach((c) => c.invalidate()), () => undefined);
}

export function tokenCacheOf(db: Knex): TokenCache | undefined {
  return caches.get(db);
}

/** Starts the cache for this pool's database (TOKEN_CACHE_SECONDS = 0: none, every request asks the database). */
export async function startTokenCache(db: Knex, ttlSeconds: number, log: Logger): Promise<{ stop(): Promise<void> }> {
  if (ttlSeconds <= 0) return { stop: async () => undefined };
  const settings = (db.client as { connectionSettings: pg.ClientConfig }).connectionSettings;
  const cache = new TokenCache(settings, ttlSeconds * 1000, log);
  await cache.start();
  caches.set(db, cache);
  live.add(cache);
  return {
    async stop() {
      caches.delete(db);
      live.delete(cache);
      await cache.stop();
    },
  };
}
