import { afterEach, describe, expect, it, vi } from "vitest";
import { dnsOnceDecision, dnsOnceDispatch, holdMs, type EntrypointHooks } from "../../src/discovery/dns-once.js";
import { decide } from "../../src/discovery/discovery.js";

describe("dns-once: the naive decision (one lookup of tasks.<service>, trusted)", () => {
  it("an empty answer bootstraps a new cluster", () => {
    expect(dnsOnceDecision({ own: "10.0.1.5", answer: [] })).toEqual({ kind: "bootstrap", clusterAddress: "gcomm://", peers: [], reason: "an empty answer" });
  });
  it("a failed lookup (the DNS did not answer) is an empty answer: it bootstraps too", () => {
    const d = dnsOnceDecision({ own: "10.0.1.5", answer: undefined });
    expect(d.kind).toBe("bootstrap");
    expect(d.clusterAddress).toBe("gcomm://");
    expect(d.kind === "bootstrap" && d.reason).toBe("no answer (the lookup failed)");
  });
  it("an answer that names only itself bootstraps", () => {
    const d = dnsOnceDecision({ own: "10.0.1.5", answer: ["10.0.1.5"] });
    expect(d).toMatchObject({ kind: "bootstrap", clusterAddress: "gcomm://", reason: "an answer that names only itself" });
  });
  it("joins every other address, in DNS order, with pc.wait_prim=no as the script had it", () => {
    expect(dnsOnceDecision({ own: "10.0.1.5", answer: ["10.0.1.9", "10.0.1.5", "10.0.1.3"] })).toEqual({
      kind: "join",
      clusterAddress: "gcomm://10.0.1.9,10.0.1.3?pc.wait_prim=no",
      peers: ["10.0.1.9", "10.0.1.3"],
    });
  });
  it("drops its own address exactly (10.0.1.1 is not 10.0.1.10) and duplicates", () => {
    const d = dnsOnceDecision({ own: "10.0.1.1", answer: ["10.0.1.10", "10.0.1.1", "10.0.1.10"] });
    expect(d).toMatchObject({ kind: "join", peers: ["10.0.1.10"], clusterAddress: "gcomm://10.0.1.10?pc.wait_prim=no" });
  });
  it("takes whatever the answer names: no PTR check, no probe of 4567", () => {
    // An address an external resolver gave (no task at all), or a task where mariadbd is not up yet.
    const d = dnsOnceDecision({ own: "10.0.1.5", answer: ["192.0.2.7"] });
    expect(d).toMatchObject({ kind: "join", peers: ["192.0.2.7"] });
  });
  it("side by side: the same empty answer makes the lab's overlay discovery wait, not bootstrap", () => {
    expect(dnsOnceDecision({ own: "10.0.1.5", answer: [] }).kind).toBe("bootstrap");
    expect(decide({ self: "10.0.1.5", registrations: [], liveTasks: [], wonBootstrap: false }).kind).toBe("wait");
    expect(decide({ self: "10.0.1.5", registrations: [], liveTasks: undefined, wonBootstrap: false }).kind).toBe("wait");
  });
});

describe("DISCOVERY_HOLD_UNTIL", () => {
  const now = 1_800_000_000_000;
  it("holds until the moment given in epoch seconds", () => {
    expect(holdMs("1800000060", now)).toBe(60_000);
  });
  it("a moment in the past holds nothing; unset is no hold at all", () => {
    expect(holdMs("1799999990", now)).toBe(0);
    expect(holdMs(undefined, now)).toBeUndefined();
    expect(holdMs("", now)).toBeUndefined();
  });
  it("refuses anything but whole epoch seconds", () => {
    expect(() => holdMs("60", now)).toThrow(/epoch seconds/);
    expect(() => holdMs("1800000060.5", now)).toThrow(/epoch seconds/);
    expect(() => holdMs("1800000060000", now)).toThrow(/epoch seconds/);
  });
});

describe("dnsOnceDispatch for the other modes", () => {
  const saved = process.env.DISCOVERY_HOLD_UNTIL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DISCOVERY_HOLD_UNTIL;
    else process.env.DISCOVERY_HOLD_UNTIL = saved;
  });
  const hooks = () => {
    const h = {
      say: vi.fn(),
      fail: vi.fn((m: string): never => {
        throw new Error(m);
      }),
      initDatadir: vi.fn(),
      galeraArgs: vi.fn(() => []),
      startMariadbd: vi.fn(),
    };
    return h satisfies EntrypointHooks;
  };
  it("without a hold, overlay and legacy are left alone (nothing done, nothing said)", async () => {
    delete process.env.DISCOVERY_HOLD_UNTIL;
    for (const mode of ["overlay", "legacy"]) {
      const h = hooks();
      expect(await dnsOnceDispatch(mode, "galera", h)).toBe(false);
      expect(h.initDatadir).not.toHaveBeenCalled();
      expect(h.say).not.toHaveBeenCalled();
    }
  });
  it("with a hold (here one already over), overlay initialises the datadir, holds, and goes on as before", async () => {
    process.env.DISCOVERY_HOLD_UNTIL = String(Math.floor(Date.now() / 1000) - 5);
    const h = hooks();
    expect(await dnsOnceDispatch("overlay", "galera", h)).toBe(false);
    expect(h.initDatadir).toHaveBeenCalledOnce();
    expect(h.say.mock.calls.map((c) => c[0])).toEqual(["hold", "hold-over"]);
    expect(h.startMariadbd).not.toHaveBeenCalled();
  });
  it("a malformed hold fails the task with the reason", async () => {
    process.env.DISCOVERY_HOLD_UNTIL = "soon";
    await expect(dnsOnceDispatch("overlay", "galera", hooks())).rejects.toThrow(/DISCOVERY_HOLD_UNTIL must be a moment in epoch seconds/);
  });
});
