import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("before-error", { minutes: 1 }, internal.broken.a);

const broken = {{ ;

crons.interval("after-error", { minutes: 2 }, internal.broken.b);

export default crons;
