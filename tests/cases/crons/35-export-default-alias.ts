import { cronJobs } from "convex/server";
import { internal, api } from "./_generated/api";

const registry = cronJobs();
const exported = registry;

registry.interval("aliased", { minutes: 5 }, internal.alias.run);

export default exported;
