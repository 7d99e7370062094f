import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.interval("alerts", { minutes: 5 }, internal.alerts.send, {
  channel: "https://discord.com/api/webhooks/111111111111111111/crons-args-token_AAAA",
});

export default crons;
