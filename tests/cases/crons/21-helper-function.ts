import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

function every(name: string, minutes: number, extra = {}) {
  crons.interval(name, { minutes }, internal.helpers.tick, { name, ...extra });
}

every("tick-fast", 1);
every("tick-slow", 60, { slow: true });

export default crons;
