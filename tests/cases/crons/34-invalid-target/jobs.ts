import { mutation, internalMutation, action, query, internalQuery } from "./_generated/server";

export const tidy = internalMutation({ args: {}, handler: async () => {} });
export const fetchFeed = action({ args: {}, handler: async () => {} });
export const listThings = query({ args: {}, handler: async () => [] });
export const countThings = internalQuery({ args: {}, handler: async () => 0 });
const original = mutation({ args: {}, handler: async () => {} });
export { original as renamed };
export default internalMutation({ args: {}, handler: async () => {} });
