import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

import { FIVE_MINUTES } from "../02-constants";
import { NAMES } from "@acme/config";
import { MISSING } from "./does-not-exist";

const crons = cronJobs();

crons.interval("outside-root", { minutes: FIVE_MINUTES }, internal.imports.outside);
crons.interval(NAMES.first, { minutes: 1 }, internal.imports.pkg);
crons.interval("missing-module", { minutes: MISSING }, internal.imports.missing);
crons.interval("plain", { minutes: 2 }, internal.imports.plain);

export default crons;
