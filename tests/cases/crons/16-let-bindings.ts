import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

let stable = "stable-let";
let changing = "first";
changing = "second";
var legacy = { minutes: 9 };

crons.interval(stable, legacy, internal.lets.stable);
crons.interval(changing, { minutes: 1 }, internal.lets.changing);

export default crons;
