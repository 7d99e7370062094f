import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();
const NAME = "wrapped" as const;
const SCHEDULE = { minutes: 15 } satisfies { minutes: number };
const HOURS = <number>(2);
const TARGET = internal.wrappers.run!;

crons.interval(NAME, SCHEDULE, TARGET);
crons.interval(("paren" + "thesized") as string, ({ hours: (HOURS) }), (internal.wrappers.paren));
crons.daily(`${NAME}-daily`!, { hourUTC: 1 as 1, minuteUTC: 2 } as const, internal.wrappers.daily);

export default crons;
