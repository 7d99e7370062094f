import { internalMutation } from "../_generated/server";
import { JOB_NAMES } from "../jobNames";

const base = { enabled: true, totalRuns: 0 };

const addTrafficSync = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      ...base,
      jobKey: JOB_NAMES.sync,
      name: "Traffic Sync",
      interval: { type: "minutes", value: 15 },
    });
  },
});

export { addTrafficSync as addTrafficSyncJob };
