import { describe, expect, it } from "vitest";
import { galeraAddressSet, numericHost } from "../../src/checks/gcomm-address-set.js";

describe("Galera's initial address set (gmcast.cpp rules)", () => {
  it("reads numeric hosts the way inet_aton does", () => {
    expect(numericHost("0")).toBe("0.0.0.0");
    expect(numericHost("7")).toBe("0.0.0.7");
    expect(numericHost("10.1")).toBe("10.0.0.1");
    expect(numericHost("10.255.0.9")).toBe("10.255.0.9");
    expect(numericHost("tasks.mysql")).toBeUndefined();
    expect(numericHost("300.1.1.1")).toBeUndefined();
  });
  it("gcomm://0 is erased as the node's own listen address: nothing is left", () => {
    const s = galeraAddressSet("gcomm://0");
    expect(s.empty).toBe(true);
    expect(s.entries[0]!.rule).toMatch(/own listen address tcp:\/\/0\.0\.0\.0:4567/);
  });
  it("a name that does not resolve is skipped", () => {
    const s = galeraAddressSet("gcomm://tasks.pxc-name", { unresolved: ["tasks.pxc-name"] });
    expect(s.empty).toBe(true);
    expect(s.entries[0]!.rule).toMatch(/Failed to resolve tcp:\/\/tasks\.pxc-name:4567/);
  });
  it("empty and 0.0.0.0 hosts are skipped, duplicates collapse", () => {
    const s = galeraAddressSet("gcomm://,0.0.0.0,10.0.1.5,10.0.1.5:4567");
    expect(s.set).toEqual(["tcp://10.0.1.5:4567"]);
    expect(s.entries.map((e) => e.kept)).toEqual([false, false, true, false]);
    expect(s.entries[3]!.rule).toMatch(/duplicates collapse/);
  });
  it("the walkthrough's printed address is not empty by these rules: its IPs resolve and none is the listen address", () => {
    const s = galeraAddressSet("gcomm://10.255.0.9,10.255.0.7,10.255.0.9");
    expect(s.empty).toBe(false);
    expect(s.set).toEqual(["tcp://10.255.0.9:4567", "tcp://10.255.0.7:4567"]);
  });
  it("an own address is kept when Galera listens on 0.0.0.0, and erased when it listens there", () => {
    expect(galeraAddressSet("gcomm://10.0.1.5").empty).toBe(false);
    expect(galeraAddressSet("gcomm://10.0.1.5", { listen: "tcp://10.0.1.5:4567" }).empty).toBe(true);
  });
});
