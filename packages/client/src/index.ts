export * from "./store.js";
export * from "./log.js";
export * from "./metrics.js";
export * from "./keys.js";
export * from "./follower.js";
export * from "./tx.js";
export * from "./artifacts.js";
export * from "./deploy.js";
