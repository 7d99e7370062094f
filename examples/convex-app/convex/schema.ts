import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The unit of a job's period. A daily cron job is stored as { type: "hours", value: 24 }.
export const intervalValidator = v.object({
  type: v.union(
    v.literal("seconds"),
    v.literal("minutes"),
    v.literal("hours"),
    v.literal("days"),
  ),
  value: v.number(),
});

export const jobStatusValidator = v.union(
  v.literal("success"),
  v.literal("error"),
);

export default defineSchema({
  // The job registry: one row per cron job, read by the dashboard and by crongate.
  // Timestamps are milliseconds since the Unix epoch (Date.now()).
  systemJobs: defineTable({
    jobKey: v.string(),
    name: v.string(),
    description: v.string(),
    category: v.string(),
    interval: intervalValidator,
    enabled: v.boolean(),
    totalRuns: v.number(),
    successCount: v.number(),
    errorCount: v.number(),
    lastRunAt: v.optional(v.number()),
    lastStatus: v.optional(jobStatusValidator),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_jobKey", ["jobKey"]),

  devices: defineTable({
    label: v.string(),
    online: v.boolean(),
    lastScreenshotAt: v.optional(v.number()),
  }),

  proxySessions: defineTable({
    upstream: v.string(),
    expiresAt: v.number(),
  }).index("by_expiresAt", ["expiresAt"]),

  trafficSamples: defineTable({
    router: v.string(),
    bytesIn: v.number(),
    bytesOut: v.number(),
    sampledAt: v.number(),
  }).index("by_sampledAt", ["sampledAt"]),
});
