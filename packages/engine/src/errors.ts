/** Error classes of the engine: each names the bad input and carries it as a field. */

export class EngineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EngineError";
  }
}

/** A graph template that does not fit together (bad wiring, shapes, attributes). */
export class GraphTemplateError extends EngineError {
  constructor(
    readonly nodeId: number | null,
    detail: string,
  ) {
    super(nodeId === null ? `graph template: ${detail}` : `graph template, node ${nodeId}: ${detail}`);
    this.name = "GraphTemplateError";
  }
}

/** A tensor whose length does not match the shape a kernel or template expects. */
export class ShapeError extends EngineError {
  constructor(
    readonly what: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${what}: expected ${expected} elements, got ${actual}`);
    this.name = "ShapeError";
  }
}

/** A job or training configuration that cannot be run. */
export class ConfigError extends EngineError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`invalid configuration field ${field}: ${detail}`);
    this.name = "ConfigError";
  }
}

/** A dataset that cannot be loaded or does not have the expected form. */
export class DatasetError extends EngineError {
  constructor(
    readonly source: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`dataset ${source}: ${detail}`, options);
    this.name = "DatasetError";
  }
}

/** A trace file that is missing, truncated, corrupt, or does not match its roots. */
export class TraceFormatError extends EngineError {
  constructor(
    readonly file: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`trace file ${file}: ${detail}`, options);
    this.name = "TraceFormatError";
  }
}
