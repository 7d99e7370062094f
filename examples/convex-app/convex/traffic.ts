import { v } from "convex/values";
import { internal } from "./_generated/api";
import { env, internalAction, internalMutation } from "./_generated/server";

type RouterCounters = { router: string; bytesIn: number; bytesOut: number };

export const sync = internalAction({
  args: {},
  handler: async (ctx): Promise<null> => {
    // The router API base URL is configured per deployment, never written in code.
    const baseUrl = env.EDGE_ROUTER_API_URL;
    let status: "success" | "error" = "success";
    if (baseUrl === undefined) {
      console.error("EDGE_ROUTER_API_URL is not set; skipping traffic sync");
      status = "error";
    } else {
      const response = await fetch(`${baseUrl}/counters`);
      const counters = (await response.json()) as RouterCounters[];
      await ctx.runMutation(internal.traffic.storeSamples, {
        samples: counters,
        sampledAt: Date.now(),
      });
    }

    await ctx.runMutation(internal.systemJobs.recordRun, {
      jobKey: "traffic-sync",
      status,
    });
    return null;
  },
});

export const storeSamples = internalMutation({
  args: {
    samples: v.array(
      v.object({
        router: v.string(),
        bytesIn: v.number(),
        bytesOut: v.number(),
      }),
    ),
    sampledAt: v.number(),
  },
  handler: async (ctx, { samples, sampledAt }) => {
    for (const sample of samples) {
      await ctx.db.insert("trafficSamples", { ...sample, sampledAt });
    }
  },
});
