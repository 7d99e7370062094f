import type { Crons } from "convex/server";
import { internal } from "../_generated/api";

// Meant to be called from crons.ts, but nothing calls it.
export function registerSyncJobs(crons: Crons) {
  crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);
  crons.interval("device-sync", { minutes: 30 }, internal.devices.sync);
}
