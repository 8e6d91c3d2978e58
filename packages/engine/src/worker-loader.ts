/**
 * How engine workers load TypeScript: the worker's execArgv. A worker inherits the loader flags of the process (`node --import tsx`), but not hooks
 * registered in code: the `refereed` binary calls tsx's `register()`, and there a worker could not load its `.ts`
 * entry. In that case the worker gets tsx's loader itself (and no other flag: the process's may be main-script
 * only, e.g. `--input-type` with `--eval`).
 */
export function tsWorkerExecArgv(): string[] | undefined {
  const options = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean);
  if (loadsTsx(process.execArgv) || loadsTsx(options)) return undefined;
  return ["--import", import.meta.resolve("tsx")];
}

const LOADER_FLAGS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

/** Whether node flags load tsx (`--import tsx`, `--import=file:///…/tsx/dist/loader.mjs`, …). */
function loadsTsx(argv: readonly string[]): boolean {
  return argv.some((a, i) => {
    const eq = a.indexOf("=");
    const flag = eq < 0 ? a : a.slice(0, eq);
    const value = eq < 0 ? (argv[i + 1] ?? "") : a.slice(eq + 1);
    return LOADER_FLAGS.has(flag) && /(^|[/\\])tsx($|[/\\])/.test(value);
  });
}
