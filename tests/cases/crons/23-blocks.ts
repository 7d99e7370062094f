import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();
const LABEL = "outer";

{
  const LABEL = "inner";
  crons.interval(`block-${LABEL}`, { minutes: 3 }, internal.blocks.inner);
}

crons.interval(`block-${LABEL}`, { minutes: 4 }, internal.blocks.outer);

try {
  crons.interval("in-try", { minutes: 5 }, internal.blocks.tried);
} finally {
  crons.interval("in-finally", { minutes: 6 }, internal.blocks.finalized);
}

export default crons;
