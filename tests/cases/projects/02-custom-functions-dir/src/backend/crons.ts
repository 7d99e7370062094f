import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("cleanup", { hours: 1 }, internal.cleanup.run);
crons.hourly("digest", { minuteUTC: 30 }, internal.digest.send);

export default crons;
