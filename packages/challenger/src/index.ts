export * from "./config.js";
export * from "./daemon.js";
export * from "./solver.js";
export * from "./responder.js";
export * from "./state.js";
export * from "./metrics.js";
export * from "./audit.js";
