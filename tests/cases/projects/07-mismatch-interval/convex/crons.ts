import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("ai-proxy-orchestrator", { minutes: 5 }, internal.aiProxy.orchestrate);
crons.interval("device-screenshot-capture", { seconds: 30 }, internal.devices.captureScreenshots);
crons.daily("daily-report", { hourUTC: 6, minuteUTC: 0 }, internal.reports.sendDaily);
crons.weekly("weekly-audit", { dayOfWeek: "monday", hourUTC: 9, minuteUTC: 30 }, internal.audit.run);

export default crons;
