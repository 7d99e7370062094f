import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

import { A } from "./a";

const crons = cronJobs();

crons.interval(A, { minutes: 5 }, internal.cycle.run);
crons.interval("after-cycle", { minutes: 6 }, internal.cycle.after);

export default crons;
