import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

const MINUTE = 60;
const HOUR = 60 * MINUTE;

crons.interval("seconds-product", { seconds: HOUR / 4 }, internal.math.a);
crons.interval("minutes-sum", { minutes: (1 + 2) * 3 - 4 }, internal.math.b);
crons.interval("power", { minutes: 2 ** 3 % 5 }, internal.math.c);
crons.interval("job-" + 7, { hours: -(-2) }, internal.math.d, { ratio: 1 / 4, label: "n" + 1 + 2 });

export default crons;
