import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

crons.interval("bell\u0007", { minutes: 1 }, internal.names.a);
crons.interval("tab\tseparated", { minutes: 2 }, internal.names.b);
crons.interval("emoji 🚀", { minutes: 3 }, internal.names.c);
crons.interval("ok: ~!@#$%^&*()_+{}[]|<>?,./`'", { minutes: 4 }, internal.names.d);
crons.interval("", { minutes: 5 }, internal.names.e);
crons.interval(404, { minutes: 6 }, internal.names.f);

export default crons;
