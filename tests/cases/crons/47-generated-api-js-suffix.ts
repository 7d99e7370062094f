// ESM-style projects import Convex's generated code with the ".js" suffix.
import { cronJobs } from "convex/server";
import { api, internal } from "./_generated/api.js";

const crons = cronJobs();

crons.interval("prune sessions", { minutes: 30 }, internal.sessions.prune);

crons.daily("send digest", { hourUTC: 6, minuteUTC: 15 }, api.digest.send, { limit: 20 });

export default crons;
