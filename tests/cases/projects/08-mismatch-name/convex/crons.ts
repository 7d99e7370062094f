import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);
crons.interval("proxy-session-renewal", { minutes: 10 }, internal.proxies.renewSessions);
crons.interval("reports.cleanup", { hours: 6 }, internal.reports.cleanup);

export default crons;
