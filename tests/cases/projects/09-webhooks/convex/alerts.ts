import { internalAction } from "./_generated/server";

const DISCORD_WEBHOOK = "https://discord.com/api/webhooks/222222222222222222/discord-token_BBBB";
const SLACK_WEBHOOK = `https://hooks.slack.com/services/T0000SLACK/B0000SLACK/slack-token-CCCC`;

// Not hard-coded: the id and token come from the environment.
const fromEnv = `https://discord.com/api/webhooks/${process.env.HOOK_ID}/${process.env.HOOK_TOKEN}`;

// A prefix check is not a webhook: https://discord.com/api/webhooks/333333333333333333/comment-token
export function isDiscordWebhook(url: string) {
  return url.startsWith("https://discord.com/api/webhooks/");
}

export const send = internalAction({
  args: {},
  handler: async () => {
    await fetch(DISCORD_WEBHOOK, { method: "POST", body: "{}" });
    await fetch(SLACK_WEBHOOK, { method: "POST", body: "{}" });
    await fetch(fromEnv, { method: "POST", body: "{}" });
  },
});
