import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const email = internal.jobs.email;
const TARGETS = { send: email.send, purge: internal["jobs"]["purge"].run } as const;
const RUN = "run";

crons.interval("member-of-alias", { minutes: 1 }, email.retry);
crons.interval("from-object", { minutes: 2 }, TARGETS.send);
crons.interval("computed-member", { minutes: 3 }, internal.jobs.purge[RUN]);
crons.interval("mixed-brackets", { minutes: 4 }, TARGETS["purge"]);
crons.interval("optional-chain", { minutes: 5 }, internal?.jobs?.email?.cleanup);

export default crons;
