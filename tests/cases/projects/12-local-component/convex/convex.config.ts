import { defineApp } from "convex/server";
import ratelimit from "./components/ratelimit/convex.config";

const app = defineApp();
app.use(ratelimit);
export default app;
