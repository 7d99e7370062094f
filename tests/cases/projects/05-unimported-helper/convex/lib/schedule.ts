export const REPORT_HOUR = 6;
