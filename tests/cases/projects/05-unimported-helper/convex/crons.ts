import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";
import { REPORT_HOUR } from "./lib/schedule";

const crons = cronJobs();

crons.daily("daily-report", { hourUTC: REPORT_HOUR, minuteUTC: 0 }, internal.reports.sendDaily);

export default crons;
