import { internalMutation } from "./_generated/server";

// Matched by the slug of the cron name "Sync Traffic".
export const addSyncTrafficJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: "sync-traffic", name: "Sync Traffic", interval: { type: "minutes", value: 15 } });
  },
});

// Matched through the key map in crongate.yml.
export const addCleanupJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: "cleanup.nightly", name: "Nightly Cleanup", interval: { type: "days", value: 1 } });
  },
});

// Matched by the exact cron name, with a cron string in the registry.
export const addWeekdayDigestJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: "weekday-digest", name: "Weekday Digest", interval: { type: "cron", value: "0 12 * * MON-FRI" } });
  },
});

// The key is computed at runtime, so it is not counted as a migration.
export const addDynamicJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: `invoice-${Date.now()}`, name: "Invoice Run" });
  },
});
