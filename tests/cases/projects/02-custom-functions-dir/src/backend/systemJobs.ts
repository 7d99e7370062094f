import { internalMutation } from "./_generated/server";

export const addCleanupJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "cleanup",
      name: "Cleanup",
      interval: { type: "hours", value: 1 },
      enabled: true,
    });
  },
});
