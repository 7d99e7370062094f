import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.monthly("day-28", { day: 28, hourUTC: 0 }, internal.months.a);
crons.monthly("day-29", { day: 29, hourUTC: 0 }, internal.months.b);
crons.monthly("day-30", { day: 30, hourUTC: 0, minuteUTC: 0 }, internal.months.c);
crons.monthly("day-32", { day: 32, hourUTC: 0 }, internal.months.d);
crons.weekly("no-day", { hourUTC: 1 }, internal.months.e);

export default crons;
