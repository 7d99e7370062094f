module.exports = { url: "https://discordapp.com/api/webhooks/666666666666666666/js-token_IIII" };
