export * from "./proof.js";
