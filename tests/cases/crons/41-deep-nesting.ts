import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("deep-args", { minutes: 1 }, internal.deep.a, { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: { level: 1 } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } });
{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{ crons.interval("in-deep-block", { minutes: 2 }, internal.deep.b); }}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}
crons.interval("shallow", { minutes: 3 }, internal.deep.c);

export default crons;
