import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("mutation-ok", { minutes: 1 }, internal.jobs.tidy);
crons.interval("action-ok", { minutes: 2 }, api.jobs.fetchFeed);
crons.interval("query-target", { minutes: 3 }, api.jobs.listThings);
crons.interval("internal-query-target", { minutes: 4 }, internal.jobs.countThings);
crons.interval("not-exported", { minutes: 5 }, internal.jobs.missingExport);
crons.interval("default-ok", { minutes: 6 }, internal.jobs.default);
crons.interval("re-exported-ok", { minutes: 7 }, internal.jobs.renamed);
crons.interval("nested-query", { minutes: 8 }, "tasks/reads:listAll");
crons.interval("no-module-file", { minutes: 9 }, internal.elsewhere.anything);
crons.interval("number-target", { minutes: 10 }, 42);
crons.interval("module-reference", { minutes: 11 }, internal.jobs);
crons.interval("string-query", { minutes: 12 }, "jobs:listThings");

export default crons;
