import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const REPORTS = [
  { id: "sales", hour: 6 },
  { id: "stock", hour: 7 },
];

REPORTS.map((report) =>
  crons.daily(`report-${report.id}`, { hourUTC: report.hour, minuteUTC: 0 }, internal.reports.build, { id: report.id }),
);

const LABELS = REPORTS.map((report) => report.id.toUpperCase());
crons.interval(LABELS.join("+"), { hours: 1 }, internal.reports.index);

export default crons;
