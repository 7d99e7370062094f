import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const ENV = "prod";
const REGION = { code: "eu", index: 2 };

crons.interval(`sync-${ENV}-${REGION.code}-${REGION.index + 1}`, { minutes: 5 }, internal.sync.run);
crons.interval(`nested-${`inner-${ENV}`}`, { minutes: 6 }, internal.sync.nested);
crons.interval(`escaped-\${ENV}-tab`, { minutes: 7 }, internal.sync.escaped);

export default crons;
