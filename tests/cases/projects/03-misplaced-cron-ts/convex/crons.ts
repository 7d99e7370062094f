import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("heartbeat", { minutes: 1 }, internal.health.beat);

export default crons;
