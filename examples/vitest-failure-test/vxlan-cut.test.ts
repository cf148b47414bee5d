// A failure test: cut VXLAN (4789/udp) on docker3 while a client writes, see Galera split 2+1,
// heal, see three members Synced again, and check that no acknowledged write was lost.
// TypeScript only for `await using` (vitest transforms it; Node 20 cannot parse it in a .mjs file):
// no build step, no tsconfig.
import { expect, test } from "vitest";
import { GaleraSwarm } from "swarm-galera-lab";
import { galeraMatchers } from "swarm-galera-lab/vitest";

expect.extend(galeraMatchers);

test("a VXLAN cut on docker3 splits Galera 2+1, heals to 3 Synced, and loses no acknowledged write", async () => {
  await using swarm = await new GaleraSwarm().withName("vitest-example").withProfile("tuned").start();

  await swarm.fault({ kind: "ports", host: "docker3", ports: ["4789/udp"] }, { workload: true });
  await swarm.waitForSplit(2);
  await swarm.heal();
  await swarm.waitForSynced(3);

  await expect(swarm).toBeSynced(3);
  // On failure the swarm's report is written and the message ends with
  // "see reports/vitest-example/timeline-vitest-example.html".
  await expect(swarm).toLoseNoAcknowledgedWrite();
});
