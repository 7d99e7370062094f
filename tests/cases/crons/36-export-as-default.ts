import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("as-default", { minutes: 5 }, internal.alias.run);

export { crons as default };
