import { cronJobs } from "convex/server";

const crons = cronJobs();
crons.interval("old-location", { minutes: 1 }, "old:job");
export default crons;
