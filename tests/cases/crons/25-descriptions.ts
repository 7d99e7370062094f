import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const crons = cronJobs();

// Renews proxy sessions before they expire.
crons.interval("line-comment", { minutes: 10 }, internal.docs.a);

// First line of a note,
// and its second line.
crons.interval("two-line-comments", { minutes: 11 }, internal.docs.b);

/**
 * A JSDoc block
 * over two lines.
 */
crons.interval("jsdoc", { minutes: 12 }, internal.docs.c);

// Separated by a blank line, so it describes nothing.

crons.interval("no-comment", { minutes: 13 }, internal.docs.d);
crons.interval("after-trailing", { minutes: 14 }, internal.docs.e); // trailing comment
crons.interval("below-trailing", { minutes: 15 }, internal.docs.f);

export default crons;
