export * from "./game.js";
export * from "./data.js";
export * from "./moves.js";
export * from "./chain.js";
export * from "./dataset.js";
export * from "./config.js";
export * from "./process.js";
export * from "./job.js";
