/** Chinese of the finance pages' English keys (merged into i18n.ts). */
export const ZH_FINANCE: Record<string, string> = {
};
