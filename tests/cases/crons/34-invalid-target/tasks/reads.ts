import { query } from "../_generated/server";

export const listAll = query({ args: {}, handler: async () => [] });
