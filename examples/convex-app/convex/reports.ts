import { internal } from "./_generated/api";
import { env, internalAction } from "./_generated/server";

// The on-call channel's webhook is a secret: it lives in the deployment's environment
// variables (npx convex env set REPORT_WEBHOOK_URL ...), never in the code.
function reportWebhookUrl(): string | undefined {
  const url = env.REPORT_WEBHOOK_URL;
  return url === undefined || url === "" ? undefined : url;
}

export const sendDaily = internalAction({
  args: {},
  handler: async (ctx): Promise<null> => {
    const jobs = await ctx.runQuery(internal.systemJobs.listAll, {});
    const failing = jobs.filter((job) => job.lastStatus === "error");
    const lines = [
      `Operations report: ${jobs.length} jobs, ${failing.length} failing`,
      ...failing.map(
        (job) =>
          `- ${job.name}: ${job.errorCount} errors in ${job.totalRuns} runs`,
      ),
    ];

    let status: "success" | "error" = "success";
    const webhookUrl = reportWebhookUrl();
    if (webhookUrl === undefined) {
      console.warn("REPORT_WEBHOOK_URL is not set; the report was only logged");
      console.log(lines.join("\n"));
    } else {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: lines.join("\n") }),
      });
      status = response.ok ? "success" : "error";
    }

    await ctx.runMutation(internal.systemJobs.recordRun, {
      jobKey: "daily-report",
      status,
    });
    return null;
  },
});
