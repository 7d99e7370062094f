import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

for (let i = 0; i < 3; i++) {
  crons.interval(`counter-${i}`, { minutes: 1 }, internal.loops.counter);
}

let n = 0;
while (n < 2) {
  crons.interval("while-loop", { minutes: 2 }, internal.loops.whileLoop);
  n++;
}

for (const item of loadItems()) {
  crons.interval("fixed-name-in-unknown-loop", { minutes: 3 }, internal.loops.items);
}

loadItems().forEach((item: string) => {
  crons.interval(item, { minutes: 4 }, internal.loops.each);
});

export default crons;
