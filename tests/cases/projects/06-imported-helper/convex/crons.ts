import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";
import { registerSyncJobs } from "./lib/registerSyncJobs";
import "./jobs/maintenance";
import { unusedHelper } from "./lib/unused";

const crons = cronJobs();

crons.interval("heartbeat", { minutes: 1 }, internal.health.beat);
registerSyncJobs(crons);

export default crons;
