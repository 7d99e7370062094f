import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const SETTINGS = { name: "destructured", timing: { every: 12 }, list: ["first", "second"] };
const { name, timing: { every }, list: [, second] } = SETTINGS;
const { missing = "defaulted" } = SETTINGS as { missing?: string };

crons.interval(name, { minutes: every }, internal.destructure.a);
crons.interval(second, { minutes: 1 }, internal.destructure.b);
crons.interval(missing, { minutes: 2 }, internal.destructure.c);

export default crons;
