// npm run docs:workflows: rewrites the state table of each declared workflow in its CONTEXT.md.
import fs from 'node:fs';
import { replaceStateTable } from '../workflow';
import { aidWorkflow } from '../aid/workflow';
import { loanWorkflow } from '../loans/workflow';
import { campaignWorkflow } from '../campaigns/workflow';

const WORKFLOWS = [[aidWorkflow, 'src/aid/CONTEXT.md'], [loanWorkflow, 'src/loans/CONTEXT.md'], [campaignWorkflow, 'src/campaigns/CONTEXT.md']] as const;

for (const [wf, file] of WORKFLOWS) {
  fs.writeFileSync(file, replaceStateTable(fs.readFileSync(file, 'utf8'), wf));
  console.log(`${file}: ${Object.keys(wf.spec.transitions).length} transitions of ${wf.spec.name}`);
}
process.exit(0);
