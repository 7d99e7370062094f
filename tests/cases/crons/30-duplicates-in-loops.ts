import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const NAMES = ["same", "other", "same"];
for (const name of NAMES) {
  crons.interval(name, { minutes: 5 }, internal.dupes.run);
}
crons.daily("other", { hourUTC: 3 }, internal.dupes.daily);

export default crons;
