import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";
import { JOB_NAMES } from "./jobNames";

const crons = cronJobs();

crons.interval(JOB_NAMES.sync, { minutes: 15 }, internal.traffic.sync);

export default crons;
