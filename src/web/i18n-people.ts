/** Chinese of the people pages' English keys (merged into i18n.ts). */
export const ZH_PEOPLE: Record<string, string> = {
};
