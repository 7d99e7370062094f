export const HOSTS = [
  "https://ptb.discord.com/api/v10/webhooks/444444444444444444/ptb-token_DDDD",
  'https://canary.discordapp.com/api/webhooks/555555555555555555/canary-token_EEEE',
];

export function workflowUrl(step: string) {
  return `https://hooks.slack.com/workflows/T0000FLOW/A0000FLOW/${step}/flow-token-FFFF`;
}

export const SPLIT =
  "https://hooks.slack.com/services/" +
  "T0000SPLIT/B0000SPLIT/split-token-GGGG";
