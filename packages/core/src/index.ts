export * from "./bytes.js";
export * from "./merkle.js";
export * from "./commit.js";
export * from "./prg.js";
export * from "./float32.js";
export * from "./tolerance.js";
export * from "./dropout.js";
export * from "./template.js";
