import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { jobStatusValidator } from "./schema";

// The job registry. Each add<Name>Job mutation is the migration that creates one cron
// job's row; it is idempotent, so running it again after a deploy changes nothing.
// Its literal values must match the registration in crons.ts.

export const listAll = internalQuery({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("systemJobs").collect();
  },
});

export const getByKey = internalQuery({
  args: { jobKey: v.string() },
  handler: async (ctx, { jobKey }) => {
    return await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", jobKey))
      .unique();
  },
});

export const enable = internalMutation({
  args: { jobKey: v.string() },
  handler: async (ctx, { jobKey }) => {
    const job = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", jobKey))
      .unique();
    if (job === null) {
      throw new ConvexError({ code: "JOB_NOT_FOUND", jobKey });
    }
    await ctx.db.patch(job._id, { enabled: true, updatedAt: Date.now() });
    return job._id;
  },
});

// Called by every job when a run ends, so the dashboard shows its last run and error rate.
// A job without a row is not recorded: its migration has not run yet.
export const recordRun = internalMutation({
  args: {
    jobKey: v.string(),
    status: jobStatusValidator,
  },
  handler: async (ctx, { jobKey, status }) => {
    const job = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", jobKey))
      .unique();
    if (job === null) {
      console.warn(
        `No systemJobs row for ${jobKey}; run its add<Name>Job migration`,
      );
      return null;
    }
    const now = Date.now();
    await ctx.db.patch(job._id, {
      totalRuns: job.totalRuns + 1,
      successCount: job.successCount + (status === "success" ? 1 : 0),
      errorCount: job.errorCount + (status === "error" ? 1 : 0),
      lastRunAt: now,
      lastStatus: status,
      updatedAt: now,
    });
    return job._id;
  },
});

export const addAIProxyOrchestratorJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "ai-proxy-orchestrator"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "ai-proxy-orchestrator",
      name: "AI Proxy Orchestrator",
      description:
        "Rebalances traffic across the AI proxy pool and retires unhealthy upstreams.",
      category: "ai-proxy",
      interval: { type: "minutes", value: 5 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addDeviceScreenshotCaptureJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) =>
        q.eq("jobKey", "device-screenshot-capture"),
      )
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "device-screenshot-capture",
      name: "Device Screenshot Capture",
      description:
        "Captures a screenshot of every online device for the live wall.",
      category: "devices",
      interval: { type: "seconds", value: 30 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addTrafficSyncJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "traffic-sync"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "traffic-sync",
      name: "Traffic Sync",
      description:
        "Pulls traffic counters from the edge routers into the usage tables.",
      category: "traffic",
      interval: { type: "minutes", value: 15 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addProxySessionRenewalJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "proxy-session-renewal"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "proxy-session-renewal",
      name: "Proxy Session Renewal",
      description:
        "Renews proxy sessions that expire within the next half hour.",
      category: "proxies",
      interval: { type: "minutes", value: 10 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});

export const addDailyReportJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "daily-report"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "daily-report",
      name: "Daily Report",
      description:
        "Sends yesterday's operations report to the on-call channel.",
      category: "reports",
      // The registry has no calendar schedules; the 06:00 UTC daily run is stored as its period.
      interval: { type: "hours", value: 24 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});
