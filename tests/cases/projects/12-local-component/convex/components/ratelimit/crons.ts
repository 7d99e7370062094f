import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

// A component's own crons.ts: Convex loads it for the component.
const crons = cronJobs();
crons.interval("reset-buckets", { minutes: 1 }, internal.buckets.reset);
export default crons;
