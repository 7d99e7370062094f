import { FIVE } from "./names";

export const JOBS = [
  { name: "mail", every: { minutes: FIVE } },
  { name: "push", every: { seconds: 30 } },
] as const;

export const DEFAULT_ARGS = { retries: 3 };
export const FAST = { minutes: 1 } satisfies Record<string, number>;
