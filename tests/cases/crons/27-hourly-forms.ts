import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();
const ROLLUP = internal.stats.rollup;

crons.hourly("no-schedule-with-args", internal.stats.hourly, { scope: "all" });
crons.hourly("const-target-no-schedule", ROLLUP);
crons.hourly("schedule-and-args", { minuteUTC: 5 }, internal.stats.minute, { scope: "one" });
crons.hourly("string-target", "stats:byString");

export default crons;
