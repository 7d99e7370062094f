import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const CONFIG = {
  cleanup: { name: "cleanup-sessions", every: { minutes: 30 } },
  "report-time": { hourUTC: 7, minuteUTC: 5 },
  defaults: { batch: 100, dryRun: false },
};

crons.interval(CONFIG.cleanup.name, CONFIG.cleanup.every, internal.cleanup.sessions, {
  ...CONFIG.defaults,
  dryRun: true,
});
crons.daily("report", CONFIG["report-time"], internal.reports.daily, { batch: CONFIG.defaults["batch"] });

export default crons;
