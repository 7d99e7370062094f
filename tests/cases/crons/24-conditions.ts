import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

if (process.env.REGION === "eu") {
  crons.daily("eu-only", { hourUTC: 1 }, internal.region.eu);
} else {
  crons.daily("not-eu", { hourUTC: 2 }, internal.region.other);
}

if (process.env.BILLING) {
  if (process.env.STRIPE_KEY) crons.hourly("stripe-sync", internal.billing.stripe);
}

process.env.AUDIT && crons.weekly("audit", { dayOfWeek: "sunday", hourUTC: 0 }, internal.audit.run);

export default crons;
