import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const QUEUES = { email: { minutes: 2 }, sms: { minutes: 4 } };
const WEEKDAYS = { first: "monday", second: "thursday" };

Object.keys(QUEUES).forEach((queue) => {
  crons.interval(`drain-${queue}`, QUEUES[queue], internal.queues.drain, { queue });
});

for (const day of Object.values(WEEKDAYS)) {
  crons.weekly(`digest-${day}`, { dayOfWeek: day, hourUTC: 8 }, internal.digest.send);
}

for (const key in WEEKDAYS) {
  crons.daily(`key-${key}`, { hourUTC: 0 }, internal.digest.key);
}

export default crons;
