/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as aiProxy from "../aiProxy.js";
import type * as crons from "../crons.js";
import type * as devices from "../devices.js";
import type * as proxies from "../proxies.js";
import type * as reports from "../reports.js";
import type * as systemJobs from "../systemJobs.js";
import type * as traffic from "../traffic.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  aiProxy: typeof aiProxy;
  crons: typeof crons;
  devices: typeof devices;
  proxies: typeof proxies;
  reports: typeof reports;
  systemJobs: typeof systemJobs;
  traffic: typeof traffic;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {};
