import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("exported-wrongly", { minutes: 5 }, internal.alias.run);

export default { crons };
