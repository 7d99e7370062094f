import { cronJobs } from "convex/server";
import { internal } from "../_generated/api";

// crons.ts imports this module for its side effects, but this cronJobs() object never leaves it.
const extra = cronJobs();
extra.hourly("lost-job", { minuteUTC: 5 }, internal.maintenance.lost);
