export const JOB_NAMES = { sync: "traffic-sync" } as const;
