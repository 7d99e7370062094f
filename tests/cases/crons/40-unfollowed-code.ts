import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

function neverCalled() {
  crons.interval("never-called", { minutes: 1 }, internal.unfollowed.a);
}

switch (process.env.MODE) {
  case "full":
    crons.interval("in-switch", { minutes: 2 }, internal.unfollowed.b);
}

setTimeout(() => crons.interval("in-callback", { minutes: 3 }, internal.unfollowed.c), 0);

crons.interval("followed", { minutes: 4 }, internal.unfollowed.d);

export default crons;
