import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

// Every job here has a row in the systemJobs table, created by its migration in
// systemJobs.ts, so the operations dashboard can show its runs and alert on it.
const crons = cronJobs();

// Rebalances traffic across the AI proxy pool and retires unhealthy upstreams.
crons.interval(
  "ai-proxy-orchestrator",
  { minutes: 5 },
  internal.aiProxy.orchestrate,
);

// Captures a screenshot of every online device for the live wall.
crons.interval(
  "device-screenshot-capture",
  { seconds: 30 },
  internal.devices.captureScreenshots,
);

// Pulls traffic counters from the edge routers into the usage tables.
crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);

// Renews proxy sessions that expire within the next half hour.
crons.interval(
  "proxy-session-renewal",
  { minutes: 10 },
  internal.proxies.renewSessions,
);

// Sends yesterday's operations report to the on-call channel.
crons.daily(
  "daily-report",
  { hourUTC: 6, minuteUTC: 0 },
  internal.reports.sendDaily,
);

export default crons;
