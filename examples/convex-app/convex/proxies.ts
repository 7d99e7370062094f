import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";

// Sessions are renewed this long before they expire, which is longer than the
// 10-minute period so that one skipped run does not let a session lapse.
const RENEW_AHEAD_MS = 30 * 60 * 1000;
const SESSION_LIFETIME_MS = 2 * 60 * 60 * 1000;

export const renewSessions = internalMutation({
  args: {},
  handler: async (ctx): Promise<null> => {
    const now = Date.now();
    const expiring = await ctx.db
      .query("proxySessions")
      .withIndex("by_expiresAt", (q) => q.lt("expiresAt", now + RENEW_AHEAD_MS))
      .collect();
    for (const session of expiring) {
      await ctx.db.patch(session._id, { expiresAt: now + SESSION_LIFETIME_MS });
    }

    await ctx.runMutation(internal.systemJobs.recordRun, {
      jobKey: "proxy-session-renewal",
      status: "success",
    });
    return null;
  },
});
