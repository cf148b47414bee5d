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
