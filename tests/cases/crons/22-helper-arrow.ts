import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const nightly = (target: typeof crons, job: { name: string; hour: number }) => {
  const schedule = { hourUTC: job.hour, minuteUTC: 0 };
  target.daily(`nightly-${job.name}`, schedule, internal.nightly.run, { job: job.name });
};

nightly(crons, { name: "vacuum", hour: 2 });
nightly(crons, { name: "reindex", hour: 3 });

export default crons;
