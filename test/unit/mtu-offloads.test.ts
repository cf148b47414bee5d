import { describe, expect, it } from "vitest";
import { parseOffloads, SEGMENTATION_OFFLOADS } from "../../src/faults/kinds/mtu.js";

// `ethtool -k eth0` of a veth in a docker-in-docker host (ethtool 6.1, Debian 12).
const VETH = `Features for eth0:
rx-checksumming: on
tx-checksumming: on
	tx-checksum-ipv4: off [fixed]
	tx-checksum-ip-generic: on
scatter-gather: on
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: on
tx-udp_tnl-segmentation: on
tx-udp_tnl-csum-segmentation: on
tx-gso-list: on
`;

describe("the mtu fault's offloads", () => {
  it("reads the state of the segmentation offloads it turns off, and nothing else", () => {
    expect(parseOffloads(VETH)).toEqual({
      "tcp-segmentation-offload": "on",
      "generic-segmentation-offload": "on",
      "tx-udp_tnl-segmentation": "on",
      "tx-udp_tnl-csum-segmentation": "on",
    });
  });

  it("keeps an offload that is already off as off, so heal leaves it off", () => {
    expect(parseOffloads(VETH.replace("generic-segmentation-offload: on", "generic-segmentation-offload: off"))["generic-segmentation-offload"]).toBe("off");
  });

  it("lists only what the interface reports (a driver without tunnel offloads)", () => {
    expect(Object.keys(parseOffloads("Features for eth0:\ntcp-segmentation-offload: off [fixed]\n"))).toEqual(["tcp-segmentation-offload"]);
    expect(SEGMENTATION_OFFLOADS).toContain("tx-udp_tnl-segmentation");
  });
});

describe("the mtu fault's rules", () => {
  it("drops only VXLAN packets longer than the MTU, arriving at the target and from it at the others", async () => {
    const { blackHoleRules } = await import("../../src/faults/kinds/mtu.js");
    const rules = blackHoleRules({ name: "docker3", address: "192.168.10.203" }, ["docker1", "docker2"], 1400);
    expect(rules.map((r) => `${r.host}: ${r.spec.join(" ")}`)).toEqual([
      "docker3: INPUT -p udp --dport 4789 -m length --length 1401:65535 -j DROP",
      "docker1: INPUT -s 192.168.10.203 -p udp --dport 4789 -m length --length 1401:65535 -j DROP",
      "docker2: INPUT -s 192.168.10.203 -p udp --dport 4789 -m length --length 1401:65535 -j DROP",
    ]);
  });
});
