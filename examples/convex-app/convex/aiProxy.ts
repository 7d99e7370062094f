import { internal } from "./_generated/api";
import { env, internalAction } from "./_generated/server";

// An upstream whose health check takes longer than this counts as unhealthy.
const MAX_HEALTHY_LATENCY_MS = 2_000;

export const orchestrate = internalAction({
  args: {},
  handler: async (ctx): Promise<null> => {
    const upstreams = (env.AI_PROXY_UPSTREAMS ?? "")
      .split(",")
      .map((upstream) => upstream.trim())
      .filter((upstream) => upstream.length > 0);

    let healthy = 0;
    for (const upstream of upstreams) {
      const started = Date.now();
      const response = await fetch(`${upstream}/healthz`);
      if (response.ok && Date.now() - started <= MAX_HEALTHY_LATENCY_MS) {
        healthy += 1;
      }
    }
    console.log(
      `AI proxy pool: ${healthy} of ${upstreams.length} upstreams healthy`,
    );

    await ctx.runMutation(internal.systemJobs.recordRun, {
      jobKey: "ai-proxy-orchestrator",
      status: healthy > 0 || upstreams.length === 0 ? "success" : "error",
    });
    return null;
  },
});
