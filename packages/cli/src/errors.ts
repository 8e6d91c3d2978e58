/** A bad command line: names the argument, exits with code 2. */
export class UsageError extends Error {
  constructor(
    readonly argument: string | undefined,
    message: string,
    readonly help?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

