import type { Crons } from "convex/server";

// crons.ts imports this helper but never calls it, so the registration never runs.
export function unusedHelper(crons: Crons) {
  crons.hourly("never-registered", {}, "maintenance:noop");
}
