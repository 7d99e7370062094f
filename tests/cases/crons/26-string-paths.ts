import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const TARGET = "jobs/email:retry";
const REF = internal.jobs.email.send;

crons.interval("cli-form", { minutes: 1 }, "convex/jobs/email.ts:flush");
crons.interval("default-string", { minutes: 2 }, "cleanup:default");
crons.interval("module-only", { minutes: 3 }, "jobs/purge");
crons.interval("const-string", { minutes: 4 }, TARGET);
crons.interval("const-reference", { minutes: 5 }, REF);
crons.interval("js-extension", { minutes: 6 }, "convex/jobs/email.js:bounce");

export default crons;
