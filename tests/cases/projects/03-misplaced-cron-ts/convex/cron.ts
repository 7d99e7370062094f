// A typo in the file name: Convex never loads cron.ts.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.daily(
  "nightly-backup",
  { hourUTC: 2, minuteUTC: 0 },
  internal.backup.run,
);
crons.weekly("weekly-digest", { dayOfWeek: "monday", hourUTC: 9 }, internal.digest.weekly);

export default crons;
