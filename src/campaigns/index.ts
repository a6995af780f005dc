// Relief campaigns (两节送温暖 …): rules, the roll and its district review, approval, public notice and
// objections, payment through the ledger's batch path, the bank file and its result, progress.
// The service functions a page, a PDF or an export calls (docs/campaigns.md, "For pages and reports").
export { campaignRoutes } from './routes';
export {
  createCampaign, getCampaign, listCampaigns, submitCampaign, sendBackCampaign, cancelCampaign, approveCampaign,
  listPublicCampaigns, publicRoll, fileObjection, resolveObjection, sweepCampaignNotices, payCampaign, payLineInCash, campaignProgress,
} from './service';
export type { CampaignSettings, NewCampaign, PaymentSummary } from './service';
export { buildRoll, reviewLine, listLines, lineView } from './roll';
export type { RollDiff, ReviewAction, LineQuery } from './roll';
export { exportBankFile, importBankResult, parseResultFile, bankFileCsv, bankFileXlsx, BANK_FILE_HEADER } from './bank-file';
export type { BankFile, BankFileRow, ResultInput, ResultSummary } from './bank-file';
export { campaignWorkflow, STATUS_ZH as CAMPAIGN_STATUS_ZH } from './workflow';
export { KINDS, KIND_ZH, CATEGORY_ZH, amountFor, lineRef, tierFor as campaignTierFor } from './model';
export type { CampaignKind, CampaignStatus, LineStatus, PayState, AmountRules, Eligibility } from './model';
export { disclosedCampaign, campaignDisclosureLines, paidCampaignLines, DISCLOSED_STATUSES } from './disclosure';
export type { DisclosedCampaign, DisclosedLine, PaidCampaignLine } from './disclosure';
