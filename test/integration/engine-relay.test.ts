/**
 * An engine this machine does not route to (DOCKER_HOST on another machine, Docker Desktop's VM,
 * this process in a container beside the engine): the lab reaches its hosts' engines and their
 * published MySQL ports through `docker exec` alone (src/hosts/dind/engine-relay.ts). Proved here
 * by running the CLI in a network namespace of its own (`unshare --net`: a downed loopback and no
 * other interface, so no TCP to any address, while the engine's unix socket still answers), with
 * SWARMLAB_HOST_REACH=engine, since the local engine would otherwise be reached directly.
 */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { labelled } from "./helpers.js";

const LAB = "swarmlab-relay";
const NONE = { containers: 0, networks: 0, volumes: 0 };

describe("hosts reached through the engine (no route from this machine to the lab)", () => {
  it("the namespace has no route: a direct connection to a lab address fails there", async () => {
    const probe = await execa(
      "unshare",
      ["--net", "node", "-e", "require('net').connect(2375, '192.168.10.201').on('error', (e) => { console.log(e.code); process.exit(0) }).on('connect', () => process.exit(3))"],
      { reject: false, timeout: 30_000 },
    );
    expect(probe.exitCode, probe.stderr).toBe(0);
    expect(probe.stdout.trim()).toBe("ENETUNREACH");
  });

  // The seed alone (its checks read every host's engine and every member's MySQL); by hand, node-stop,
  // partition-vxlan and quorum-loss passed the same way (docs/where-it-runs.md).
  it("runs the seed with every check, through docker exec alone", async () => {
    const r = await execa("unshare", ["--net", "node", "bin/swarmlab.js", "--name", LAB, "run", "seed", "--report", "reports/test-relay"], {
      reject: false,
      all: true,
      timeout: 15 * 60_000,
      env: { CI: "1", SWARMLAB_HOST_REACH: "engine" },
    });
    expect(r.exitCode, String(r.all).slice(-5000)).toBe(0);
    // (the progress lines go to stderr)
    expect(r.all).toContain("hosts reached through the engine (docker exec: dial-stdio for their engines, socat for published ports)");
    const report = JSON.parse(readFileSync("reports/test-relay/report.json", "utf8")) as { scenarios: Array<{ scenario: string; ok: boolean; steps: Array<{ title: string; ok: boolean }> }> };
    expect(report.scenarios.map((s) => [s.scenario, s.ok])).toEqual([["seed", true]]);
    // The checks that read the hosts' engines and MySQL ran and passed (they would fail without a route).
    const seedSteps = report.scenarios[0]!.steps.map((s) => s.title);
    expect(seedSteps).toEqual(expect.arrayContaining(["check galera-health", "check cluster-address", "check replication"]));
    expect(await labelled(LAB)).toEqual(NONE);
  });

  it("refuses a reach it does not know, naming the variable and what is allowed, before making anything", async () => {
    const bad = await execa("node", ["bin/swarmlab.js", "--name", LAB, "up"], { reject: false, timeout: 5 * 60_000, env: { SWARMLAB_HOST_REACH: "tunnel" } });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/SWARMLAB_HOST_REACH=tunnel is not a reach: allowed are direct, engine/);
    expect(await labelled(LAB)).toEqual(NONE);
  });
});
