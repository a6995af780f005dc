// npm run bench -- public: what a crowd sent to the public pages costs. 32 concurrent keep-alive clients for
// BENCH_PUBLIC_SECONDS (default 8) each against: the notice board page (/notices), its API
// (/api/v1/public/notices), the same two with If-None-Match (the 304 path of src/http/conditional.ts), and a
// bare Express handler in the same process as the yardstick. Demo data on, so the board has cases on it.
// Client and service share the machine (and here one process), as in the first figures.
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startBenchService } from '../support';

const CLIENTS = 32;

interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  expect: number;
  /** Like a cache: send the latest validator, and take the new one from a full answer (the board's turns every 30 s). */
  revalidate?: boolean;
}

interface Result {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  wrong: number;
}

function get(agent: http.Agent, url: URL, headers: Record<string, string>): Promise<{ status: number; etag?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
    });
    req.on('error', reject);
  });
}

async function load(t: Target, seconds: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const url = new URL(t.url);
  const latencies: number[] = [];
  let wrong = 0;
  const headers = { ...t.headers };
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const r = await get(agent, url, headers);
        latencies.push(performance.now() - s);
        if (r.status !== t.expect) wrong += 1;
        if (t.revalidate && r.status === 200 && r.etag) headers['if-none-match'] = r.etag;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99), wrong };
}

/** One GET with a cookie jar of one: the page's validator is per visitor (its form token), so the 304 run reuses one visitor. */
async function firstVisit(url: string, cookie?: string) {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  await res.arrayBuffer();
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { etag: res.headers.get('etag') ?? '', cookie: cookie ?? set, status: res.status };
}

export async function run() {
  const seconds = Number(process.env.BENCH_PUBLIC_SECONDS ?? 8);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, node ${process.version}; ${CLIENTS} clients, ${seconds} s per target`);
  const { svc, dir } = await startBenchService('warmth-bench-public', { DEMO_DATA: 'on', LOG_LEVEL: 'silent' });
  const bare = express();
  bare.get('/hello', (_req, res) => res.json({ ok: true }));
  const bareServer = bare.listen(0, '127.0.0.1');
  await new Promise((r) => bareServer.once('listening', r));
  try {
    const notices = (await (await fetch(`${svc.url}/api/v1/public/notices`)).json()) as { items: unknown[] };
    console.log(`notice board: ${notices.items.length} cases in notice`);
    const page = await firstVisit(`${svc.url}/notices`);
    const apiFirst = await firstVisit(`${svc.url}/api/v1/public/notices`);
    const targets: Target[] = [
      { name: 'bare Express handler', url: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/hello`, expect: 200 },
      { name: '/notices (page, 200)', url: `${svc.url}/notices`, headers: { cookie: page.cookie }, expect: 200 },
      { name: '/notices (page, If-None-Match → 304)', url: `${svc.url}/notices`, headers: { cookie: page.cookie, 'if-none-match': page.etag }, expect: 304, revalidate: true },
      { name: '/api/v1/public/notices (200)', url: `${svc.url}/api/v1/public/notices`, expect: 200 },
      { name: '/api/v1/public/notices (If-None-Match → 304)', url: `${svc.url}/api/v1/public/notices`, headers: { 'if-none-match': apiFirst.etag }, expect: 304, revalidate: true },
    ];
    console.log('| target | req/s | p50 ms | p99 ms | unexpected status |');
    console.log('|---|---|---|---|---|');
    for (const t of targets) {
      const r = await load(t, seconds);
      console.log(`| ${t.name} | ${Math.round(r.requests / r.seconds).toLocaleString('en')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.wrong} |`);
    }
    console.log('(304 runs: a full answer when the validator turns over — the board\'s every 30 s, or after a write — then 304 again)');
  } finally {
    bareServer.close();
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
