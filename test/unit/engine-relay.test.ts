import { describe, expect, it } from "vitest";
import { hostReach, HOST_REACH_VARIABLE } from "../../src/hosts/dind/engine-relay.js";

describe("hostReach: how this machine reaches the hosts' engines and published ports", () => {
  it("goes direct to a local Linux engine and through the engine when it is elsewhere", () => {
    expect(hostReach({ local: true }, {})).toBe("direct");
    expect(hostReach({ local: false }, {})).toBe("engine");
  });

  it("without a known place, judges from DOCKER_HOST and the platform", () => {
    expect(hostReach(undefined, {}, "linux")).toBe("direct");
    expect(hostReach(undefined, { DOCKER_HOST: "unix:///var/run/docker.sock" }, "linux")).toBe("direct");
    expect(hostReach(undefined, { DOCKER_HOST: "tcp://127.0.0.1:2375" }, "linux")).toBe("direct");
    expect(hostReach(undefined, { DOCKER_HOST: "tcp://10.1.2.3:2375" }, "linux")).toBe("engine");
    expect(hostReach(undefined, { DOCKER_HOST: "ssh://me@build-box" }, "linux")).toBe("engine");
    expect(hostReach(undefined, {}, "darwin")).toBe("engine");
  });

  it(`${HOST_REACH_VARIABLE} overrides the judgement, and a wrong value is refused naming it and what is allowed`, () => {
    expect(hostReach({ local: true }, { [HOST_REACH_VARIABLE]: "engine" })).toBe("engine");
    expect(hostReach({ local: false }, { [HOST_REACH_VARIABLE]: "direct" })).toBe("direct");
    expect(hostReach({ local: true }, { [HOST_REACH_VARIABLE]: "" })).toBe("direct");
    expect(() => hostReach({ local: true }, { [HOST_REACH_VARIABLE]: "ssh" })).toThrow(/SWARMLAB_HOST_REACH=ssh is not a reach: allowed are direct, engine/);
  });
});
