import { internal } from "./_generated/api";
import type { Crons } from "convex/server";

export function registerFeeds(crons: Crons, feeds: string[]) {
  for (const feed of feeds) {
    crons.interval(`feed-${feed}`, { minutes: 10 }, internal.feeds.refresh, { feed });
  }
}
