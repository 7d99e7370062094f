import crons from "../crons";
import { internal } from "../_generated/api";

// Registers on the object crons.ts exports, but crons.ts never imports this module,
// so this line never runs when Convex loads crons.ts.
crons.monthly("invoice-run", { day: 1, hourUTC: 2, minuteUTC: 45 }, internal.billing.invoice);
