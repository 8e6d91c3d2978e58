/**
 * Background workers (commitments, seeds, audits) run at a lower scheduling priority than the thread they serve, so
 * that on a machine with fewer cores than threads the training loop (or a bot's event loop) is not preempted by work
 * that only has to keep up. On Linux the nice value is per thread, and `os.setPriority(n)` sets the calling thread's.
 * Lowering is always allowed; where it is not supported nothing changes.
 */
import { setPriority } from "node:os";

/** Nice value of background workers (0 = normal, 19 = lowest). */
export const BACKGROUND_NICE = 10;

/** Lowers the calling thread's priority; returns whether it took effect. */
export function lowerThreadPriority(nice = BACKGROUND_NICE): boolean {
  try {
    setPriority(nice);
    return true;
  } catch {
    return false;
  }
}
