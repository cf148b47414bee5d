import { WaitTimeoutError } from "./errors.js";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls `probe` until `done(value)` holds. Every wait in the lab goes through here so that
 * each one is bounded and its error names what it waited for and the last value it saw.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 1000, signal }: WaitOptions,
  describe: (value: T) => string = (v) => JSON.stringify(v),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "nothing yet";
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
      if (done(value)) return value;
      last = describe(value);
    } catch (err) {
      last = `error: ${(err as Error).message.split("\n")[0]}`;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, last);
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
