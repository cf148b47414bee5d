import { WaitTimeoutError, abortError } from "./errors.js";

/** A pause that an abort cuts short (rejecting with the abort's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise<void>((r) => setTimeout(r, ms));
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Settles with `p`, or rejects as soon as `signal` aborts (p's work may go on; its result is dropped). */
export function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

export interface WaitOptions {
  timeoutMs: number;
  /** From the start of one probe to the start of the next (a probe slower than this is followed at once). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * How often the lab's waits ask swarm or Galera (docker node ls, the members' status over mysql2).
 * Such a probe takes 0.03-0.2 s on the lab, and a wait ends on average half an interval after its
 * condition came true: 0.5 s costs 0.25 s per wait where 1 s cost 0.5 s. (waitFor's own default
 * stays 1 s for callers of the library.)
 */
/** A view that must not hold anything up: its value, or `fallback` after `seconds` (or on an error). */
export function withinSeconds<T>(p: Promise<T>, seconds: number, fallback: T): Promise<T> {
  return Promise.race([p.catch(() => fallback), new Promise<T>((r) => setTimeout(() => r(fallback), seconds * 1000).unref())]);
}

export const POLL_MS = 500;

/** The pause before the next probe: what is left of the interval after this probe, never past the deadline. */
export function nextPauseMs(intervalMs: number, probeStartedAt: number, now: number, deadline: number): number {
  return Math.max(0, Math.min(intervalMs - (now - probeStartedAt), deadline - now));
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
    if (signal?.aborted) throw abortError(signal);
    const started = Date.now();
    try {
      const value = await untilAborted(probe(), signal);
      if (done(value)) return value;
      last = describe(value);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      last = `error: ${(err as Error).message.split("\n")[0]}`;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, last);
    const pause = nextPauseMs(intervalMs, started, Date.now(), deadline);
    if (pause > 0) await sleep(pause, signal);
  }
}

/**
 * Runs `tick` every `intervalMs` (counted from the start of each tick) until stop(), which cuts
 * the pause short and resolves once the tick in flight has finished. A failing tick is skipped.
 * The pause is a normal timer: an unref'd one would let the process exit while a caller still
 * awaits the loop.
 */
export function repeatUntilStopped(intervalMs: number, tick: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  let wake: () => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      await tick().catch(() => {});
      if (!running) break;
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, Math.max(0, intervalMs - (Date.now() - t0)));
      });
    }
  })();
  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      wake();
      await loop;
    },
  };
}
