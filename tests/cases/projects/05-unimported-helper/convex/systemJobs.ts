import { internalMutation } from "./_generated/server";

export const addDailyReportJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", { jobKey: "daily-report", interval: { type: "days", value: 1 } });
  },
});
