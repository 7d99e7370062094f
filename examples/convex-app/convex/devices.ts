import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";

// Stamps every online device with the capture time. The device agent polls that field and
// uploads the screenshot itself, so this mutation stays fast at a 30-second period.
export const captureScreenshots = internalMutation({
  args: {},
  handler: async (ctx): Promise<null> => {
    const now = Date.now();
    const devices = await ctx.db.query("devices").collect();
    for (const device of devices) {
      if (device.online) {
        await ctx.db.patch(device._id, { lastScreenshotAt: now });
      }
    }

    await ctx.runMutation(internal.systemJobs.recordRun, {
      jobKey: "device-screenshot-capture",
      status: "success",
    });
    return null;
  },
});
