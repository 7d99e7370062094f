import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

import { JOBS, DEFAULT_ARGS } from "./jobConfig";
import nightly from "./lib/defaults";
import { REGIONS } from "./shared";
import { PREFIX } from "./names.js";
import * as config from "./jobConfig";

const crons = cronJobs();

for (const job of JOBS) {
  crons.interval(`${PREFIX}-${job.name}`, job.every, internal.work.run, { ...DEFAULT_ARGS, job: job.name });
}
crons.daily("nightly", nightly, internal.work.nightly, { regions: REGIONS });
crons.interval("namespace", config.FAST, internal.work.fast);

export default crons;
