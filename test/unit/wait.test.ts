/** Waits poll at a steady rate counted from each probe's start, never past their bound. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextPauseMs, waitFor, POLL_MS } from "../../src/util/wait.js";

describe("nextPauseMs", () => {
  it("is what is left of the interval after the probe", () => {
    expect(nextPauseMs(500, 1000, 1100, 10_000)).toBe(400);
    expect(nextPauseMs(1000, 0, 0, 10_000)).toBe(1000);
  });
  it("is zero after a probe slower than the interval: the next one starts at once", () => {
    expect(nextPauseMs(500, 1000, 5000, 10_000)).toBe(0);
  });
  it("never runs past the deadline", () => {
    expect(nextPauseMs(1000, 0, 9800, 10_000)).toBe(0);
    expect(nextPauseMs(1000, 9500, 9700, 10_000)).toBe(300);
  });
  it("the lab's poll rate for swarm and Galera is half a second", () => {
    expect(POLL_MS).toBe(500);
  });
});

describe("waitFor", () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it("starts a probe every interval, however long each probe takes (it used to pause a whole interval after it)", async () => {
    const starts: number[] = [];
    const probe = async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 300)); // a probe of 0.3 s
      return starts.length;
    };
    const p = waitFor("the fourth probe", probe, (n) => n >= 4, { timeoutMs: 10_000, intervalMs: 500 });
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(p).resolves.toBe(4);
    expect(starts).toEqual([0, 500, 1000, 1500]);
  });

  it("a probe slower than the interval is followed at once", async () => {
    const starts: number[] = [];
    const probe = async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 1200));
      return starts.length;
    };
    const p = waitFor("the third probe", probe, (n) => n >= 3, { timeoutMs: 10_000, intervalMs: 500 });
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(p).resolves.toBe(3);
    expect(starts).toEqual([0, 1200, 2400]);
  });

  it("is bounded: the error names what it waited for and the last value it saw", async () => {
    const p = waitFor("a value above 10", async () => 3, (n) => n > 10, { timeoutMs: 2_000, intervalMs: 500 });
    const caught = p.catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(3_000);
    const err = await caught;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/a value above 10/);
    expect((err as Error).message).toMatch(/3/);
  });
});
