import { describe, expect, it } from "vitest";
import { liveWhenCreated } from "../../src/checks/cluster-address.js";

const t = (address: string, state: string, createdAt: number, statusAt?: number) => ({ addresses: { mynet: address }, state, createdAt, statusAt });

describe("an address that was a live task when the member started (stale since, harmless)", () => {
  it("a task that ended after the member was created counts", () => {
    expect(liveWhenCreated("10.0.1.3", 1000, [t("10.0.1.3", "shutdown", 500, 1500)])).toBe(true);
  });
  it("a task that had already ended when the member was created does not", () => {
    expect(liveWhenCreated("10.0.1.3", 1000, [t("10.0.1.3", "failed", 200, 900)])).toBe(false);
  });
  it("a task created after the member does not, nor an address no task ever had", () => {
    expect(liveWhenCreated("10.0.1.3", 1000, [t("10.0.1.3", "shutdown", 1200, 1500)])).toBe(false);
    expect(liveWhenCreated("10.0.1.9", 1000, [t("10.0.1.3", "running", 500)])).toBe(false);
  });
  it("a task still running counts whatever its last state change", () => {
    expect(liveWhenCreated("10.0.1.3", 1000, [t("10.0.1.3", "running", 500, 600)])).toBe(true);
  });
});
