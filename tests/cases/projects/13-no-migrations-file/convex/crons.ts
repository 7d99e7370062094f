import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("traffic-sync", { minutes: 15 }, internal.traffic.sync);
crons.hourly("hourly-rollup", internal.metrics.rollup);

export default crons;
