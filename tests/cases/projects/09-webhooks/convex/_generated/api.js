export const generated = "https://discord.com/api/webhooks/777777777777777777/generated-token_JJJJ";
