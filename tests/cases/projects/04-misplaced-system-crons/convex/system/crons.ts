import { cronJobs } from "convex/server";
import { internal } from "../_generated/api";

const systemCrons = cronJobs();

systemCrons
  .interval("metrics-rollup", { minutes: 5 }, internal.system.metrics.rollup);

export default systemCrons;
