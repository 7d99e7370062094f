import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Pull the latest traffic numbers.
crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);

// Send the daily report.
crons.daily("daily-report", { hourUTC: 6, minuteUTC: 0 }, internal.reports.sendDaily);

crons.interval("proxy-session-renewal", { minutes: 10 }, internal.proxies.renewSessions);

crons.interval("AI Proxy Orchestrator", { seconds: 300 }, internal.aiProxy.orchestrate);

export default crons;
