import { describe, expect, it } from "vitest";
import { hostReach, HOST_REACH_VARIABLE } from "../../src/hosts/dind/engine-relay.js";
import { engineLocality, type MachineFacts } from "../../src/engine/locality.js";

/** A locality whose only relevant fact is whether the lab's bridge is routed from here. */
const routed = (available: boolean) => ({ facilities: { "lab-routes": { available } } }) as unknown as Parameters<typeof hostReach>[0];

describe("hostReach: how this machine reaches the hosts' engines and published ports", () => {
  it("goes direct where the lab's bridge is routed from here and through the engine where it is not", () => {
    expect(hostReach(routed(true), {})).toBe("direct");
    expect(hostReach(routed(false), {})).toBe("engine");
  });

  it("follows engineLocality's lab-routes: a local Linux engine is direct, DOCKER_HOST elsewhere and macOS go through the engine", () => {
    const linux = (dockerHost?: string): MachineFacts => ({ hostname: "lab-machine", platform: "linux", kernelRelease: "6.1.0", dockerHost, exists: () => true });
    const info = { KernelVersion: "6.1.0", Name: "lab-machine", OperatingSystem: "Debian GNU/Linux 12 (bookworm)" };
    expect(hostReach(engineLocality(info, linux()), {})).toBe("direct");
    expect(hostReach(engineLocality(info, linux("unix:///var/run/docker.sock")), {})).toBe("direct");
    expect(hostReach(engineLocality(info, linux("tcp://127.0.0.1:2375")), {})).toBe("direct");
    expect(hostReach(engineLocality(info, linux("tcp://10.1.2.3:2375")), {})).toBe("engine");
    expect(hostReach(engineLocality(info, linux("ssh://me@build-box")), {})).toBe("engine");
    expect(hostReach(engineLocality({ ...info, KernelVersion: "6.4.16-linuxkit" }, { ...linux(), platform: "darwin", kernelRelease: "24.1.0" }), {})).toBe("engine");
  });

  it(`${HOST_REACH_VARIABLE} overrides the judgement, and a wrong value is refused naming it and what is allowed`, () => {
    expect(hostReach(routed(true), { [HOST_REACH_VARIABLE]: "engine" })).toBe("engine");
    expect(hostReach(routed(false), { [HOST_REACH_VARIABLE]: "direct" })).toBe("direct");
    expect(hostReach(routed(true), { [HOST_REACH_VARIABLE]: "" })).toBe("direct");
    expect(() => hostReach(routed(true), { [HOST_REACH_VARIABLE]: "ssh" })).toThrow(/SWARMLAB_HOST_REACH=ssh is not a reach: allowed are direct, engine/);
  });
});
