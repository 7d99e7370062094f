import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// 1e309 overflows to Infinity, which Convex rejects at push like any non-integer interval.
crons.interval("overflowing-interval", { minutes: 1e309 }, internal.jobs.a);
crons.interval("infinite-interval", { seconds: Infinity }, internal.jobs.b);
crons.interval("nan-interval", { hours: 0 / 0 }, internal.jobs.c);
crons.daily("infinite-hour", { hourUTC: -Infinity, minuteUTC: 0 }, internal.jobs.d);
crons.cron("infinite-cron", Infinity, internal.jobs.e);
// Args may hold Infinity, but crongate cannot compare it with the registry.
crons.interval("infinite-arg", { minutes: 5 }, internal.jobs.f, { limit: Infinity });
crons.interval("finite", { minutes: 1e3 }, internal.jobs.g);

export default crons;
