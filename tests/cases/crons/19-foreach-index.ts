import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const SHARDS = ["a", "b", "c"];

SHARDS.forEach(function (shard, index) {
  crons.hourly(`shard-${shard}`, { minuteUTC: index * 10 }, internal.shards.compact, { shard, index });
});

export default crons;
