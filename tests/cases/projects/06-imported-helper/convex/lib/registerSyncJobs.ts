import type { Crons } from "convex/server";
import { internal } from "../_generated/api";

// Called from crons.ts with the crons object, so Convex loads these registrations.
export function registerSyncJobs(crons: Crons) {
  crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);
}
