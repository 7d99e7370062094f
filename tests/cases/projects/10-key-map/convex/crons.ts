import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("Sync Traffic", { minutes: 15 }, internal.traffic.sync);
crons.interval("nightly cleanup", { hours: 24 }, internal.cleanup.run);
crons.monthly("invoice-run", { day: 1, hourUTC: 2, minuteUTC: 45 }, internal.billing.invoice);
crons.cron("weekday-digest", "0 12 * * 1-5", internal.digest.send);

export default crons;
