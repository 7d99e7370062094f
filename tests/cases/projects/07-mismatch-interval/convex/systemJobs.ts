import { internalMutation } from "./_generated/server";

const EVERY_TEN_MINUTES = { type: "minutes", value: 10 } as const;

export const addAIProxyOrchestratorJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "ai-proxy-orchestrator",
      name: "AI Proxy Orchestrator",
      // Copied from another job: crons.ts runs this every 5 minutes.
      interval: EVERY_TEN_MINUTES,
      enabled: true,
    });
  },
});

export const addDeviceScreenshotCaptureJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "device-screenshot-capture",
      name: "Device Screenshot Capture",
      interval: { type: "minutes", value: 30 },
      enabled: true,
    });
  },
});

export const addDailyReportJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "daily-report",
      name: "Daily Report",
      interval: { type: "hours", value: 24 },
      enabled: true,
    });
  },
});

export const addWeeklyAuditJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("systemJobs", {
      jobKey: "weekly-audit",
      name: "Weekly Audit",
      interval: { type: "days", value: 1 },
      enabled: true,
    });
  },
});
