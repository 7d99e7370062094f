import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

import { SCHEDULES } from "some-package";

const crons = cronJobs();

crons.interval("env-schedule", { minutes: Number(process.env.EVERY) }, internal.dyn.a);
crons.interval("clock-args", { minutes: 5 }, internal.dyn.b, { since: Date.now() });
crons.interval("computed-target", { minutes: 6 }, pickTarget());
crons.daily("package-schedule", SCHEDULES.nightly, internal.dyn.c);
crons.interval(process.env.JOB_NAME!, { minutes: 7 }, internal.dyn.d);
crons.interval("static-one", { minutes: 8 }, internal.dyn.e);

function pickTarget() {
  return Math.random() > 0.5 ? internal.dyn.f : internal.dyn.g;
}

export default crons;
