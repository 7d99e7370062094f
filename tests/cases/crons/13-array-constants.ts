import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const BASE = ["alpha", "beta"];
const NAMES = [...BASE, "gamma"] as const;
const SLOTS = [{ hourUTC: 1 }, { hourUTC: 2, minuteUTC: 30 }];

crons.daily(NAMES[0], SLOTS[0], internal.slots.first);
crons.daily(NAMES[2], SLOTS[1], internal.slots.last, { count: NAMES.length });

export default crons;
