import { internalMutation } from "./_generated/server";

export const addHeartbeatJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: "heartbeat", name: "Heartbeat", interval: { type: "minutes", value: 1 } });
  },
});
