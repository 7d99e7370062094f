import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const EVERY = {
  "poll-orders": 5,
  "poll-refunds": 15,
} as const;

for (const [name, minutes] of Object.entries(EVERY)) {
  crons.interval(name, { minutes }, internal.poll.run, { source: name });
}

export default crons;
