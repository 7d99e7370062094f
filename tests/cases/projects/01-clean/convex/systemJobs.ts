import { v } from "convex/values";
import { internalMutation, internalQuery, mutation, query } from "./_generated/server";

const DAILY_REPORT_KEY = "daily-report";

const JOB_KEYS = {
  proxies: "proxy-session-renewal",
  orchestrator: "ai-proxy-orchestrator",
} as const;

export const listAll = internalQuery({
  args: {},
  handler: async (ctx) => await ctx.db.query("systemJobs").collect(),
});

export const getByKey = query({
  args: { jobKey: v.string() },
  handler: async (ctx, { jobKey }) =>
    await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", jobKey))
      .first(),
});

export const enable = internalMutation({
  args: { jobKey: v.string() },
  handler: async (ctx, { jobKey }) => {
    const row = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", jobKey))
      .first();
    if (row) await ctx.db.patch(row._id, { enabled: true, updatedAt: Date.now() });
  },
});

export const addTrafficSyncJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "traffic-sync"))
      .first();
    if (existing) return existing._id;
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "traffic-sync",
      name: "Traffic Sync",
      category: "sync",
      interval: { type: "minutes", value: 15 },
      enabled: true,
      totalRuns: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addDailyReportJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: DAILY_REPORT_KEY,
      name: "Daily Report",
      interval: { type: "hours", value: 24 },
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addProxySessionRenewalJob = mutation({
  args: {},
  async handler(ctx) {
    await ctx.db.insert("systemJobs", {
      jobKey: JOB_KEYS.proxies,
      name: "Proxy Session Renewal",
      interval: { type: "minutes", value: 10 },
      enabled: true,
    });
  },
});

export const addAIProxyOrchestratorJob = internalMutation(async (ctx) => {
  await ctx.db.insert("systemJobs", {
    jobKey: JOB_KEYS["orchestrator"],
    name: "AI Proxy Orchestrator",
    interval: { type: "minutes", value: 5 },
    enabled: true,
  });
});
