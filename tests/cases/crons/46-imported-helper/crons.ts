import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

import { registerFeeds } from "./cronHelpers";

const crons = cronJobs();

registerFeeds(crons, ["news", "weather"]);
crons.daily("local", { hourUTC: 9 }, internal.feeds.local);

export default crons;
