// Calls a Convex deployment with the official ConvexHttpClient and prints the results
// as one JSON line, so that a pytest test can compare them with what the fake recorded.
//
// Usage: node conformance.mjs <deployment URL> <admin key> <migration function>
import { ConvexHttpClient } from "convex/browser";

const [url, adminKey, migration] = process.argv.slice(2);
if (!url || !adminKey || !migration) {
  console.error("usage: node conformance.mjs <deployment URL> <admin key> <migration function>");
  process.exit(2);
}

// The client logs a function's logLines to the console; keep stdout for the result.
const client = new ConvexHttpClient(url, { logger: false });
client.setAdminAuth(adminKey);

const rows = await client.query("systemJobs:listAll", {});
const insertedId = await client.mutation(migration, {});
const again = await client.mutation(migration, {});

// JSON.stringify cannot print a bigint (a Convex Int64), so it is tagged as a decimal string.
const tagBigInt = (key, value) =>
  typeof value === "bigint" ? { $bigint: value.toString() } : value;
process.stdout.write(JSON.stringify({ rows, insertedId, again }, tagBigInt) + "\n");
