import { cronJobs as makeCrons } from "convex/server";
import { internal as fns } from "./_generated/api";

const jobs = makeCrons();

jobs.cron("renamed-import", "0 * * * *", fns.hourly.tick);

export default jobs;
