/**
 * `--images upstream` for real, with a registry of our own standing in for Docker Hub
 * (scripts/stand-in-registry.sh: Debian's docker-registry on :5000, the lab's own images pushed
 * under the walkthrough's names, this machine's dockerd told to use it as a registry mirror). So the
 * pull path, the walkthrough's unrenamed commands and the fallback all run:
 *
 * 1. `run seed --images upstream`: the base FROM the pulled debian:bookworm, elcolio/etcd and
 *    percona/percona-xtradb-cluster pulled through the mirror and run under those names; it passes,
 *    and report.json says which images ran and where they came from.
 * 2. `up --images auto` with the registry stopped: local, saying why. (dockerd then tries Docker Hub
 *    itself, which this workplace does not reach; where it does, auto may rightly pick upstream.)
 * 3. a registry that answers but lacks percona/percona-xtradb-cluster: one line, the fix, nothing made.
 *
 * Needs root, this machine's own dockerd and the lab's images (`swarmlab setup`, which `npm test`
 * runs first). `afterAll` removes the lab, stops the registry and gives dockerd back its daemon.json.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import Docker from "dockerode";
import { labelled, mustStandIn, standIn, STAND_IN_DIR } from "./helpers.js";
import { tagOf } from "../../src/images/build.js";

const LAB = "swarmlab-upstream";
const MIRROR = "http://127.0.0.1:5000";
const PULLED = ["debian:bookworm", "elcolio/etcd:latest", "percona/percona-xtradb-cluster:latest"];
const dir = mkdtempSync(join(tmpdir(), "swarmlab-upstream-"));
// A registry that does not answer is given up on after 20 s (Docker Hub, behind the stopped mirror).
const env = { ...process.env, CI: "1", SWARMLAB_REGISTRY_ANSWER_SECONDS: "20" };
const swarmlab = (args: string[]) => execa("node", ["bin/swarmlab.js", "--name", LAB, ...args], { reject: false, env, timeout: 30 * 60_000 });
const docker = new Docker();

/** Drops the outer engine's copies of the walkthrough's images, so each run pulls them through the mirror. */
async function forgetPulled(): Promise<void> {
  for (const ref of PULLED) await docker.getImage(ref).remove({ noprune: true }).catch(() => {});
}


beforeAll(async () => {
  await mustStandIn(["start"]);
  await mustStandIn(["push-stand-ins"]);
  await mustStandIn(["add-mirror"]);
  await forgetPulled();
  rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await swarmlab(["down"]);
  await standIn(["remove-mirror"]);
  await standIn(["stop"]);
  await forgetPulled();
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  images?: { asked: string; mode: string; why: string; baseOrigin: string; images: Array<{ role: string; name: string; ref: string; id: string; origin: string }> };
  scenarios: Array<{ scenario: string; ok: boolean; steps: Array<{ title: string; command?: string; ok: boolean; changed?: string }> }>;
}

describe("--images upstream with a stand-in registry", () => {
  it("runs the seed with the walkthrough's own images, pulled through the mirror, and says so in the report", async () => {
    const report = join(dir, "upstream");
    const logBefore = readFileSync(join(STAND_IN_DIR, "registry.log"), "utf8").length;
    const r = await swarmlab(["run", "seed", "--images", "upstream", "--report", report]);
    expect(r.exitCode, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8")) as Report;
    expect(json.ok).toBe(true);
    expect(json.images?.mode).toBe("upstream");
    expect(json.images?.baseOrigin).toMatch(/FROM debian:bookworm .* pulled from Docker Hub through the engine's mirror http:\/\/127\.0\.0\.1:5000/);
    const byRole = Object.fromEntries((json.images?.images ?? []).map((i) => [i.role, i]));
    expect(byRole.etcd).toMatchObject({ name: "elcolio/etcd", ref: "elcolio/etcd:latest", origin: `pulled from Docker Hub through the engine's mirror ${MIRROR}` });
    expect(byRole.galera).toMatchObject({ name: "percona/percona-xtradb-cluster", ref: "percona/percona-xtradb-cluster:latest", origin: `pulled from Docker Hub through the engine's mirror ${MIRROR}` });
    // The stand-ins are the lab's own images: pushed and pulled, the image IDs are theirs.
    expect(byRole.etcd!.id).toBe((await docker.getImage(tagOf("etcd")).inspect()).Id);
    expect(byRole.galera!.id).toBe((await docker.getImage(tagOf("galera")).inspect()).Id);
    // The commands ran as the walkthrough wrote them: its image names, not the lab's.
    const seed = json.scenarios.find((s) => s.scenario === "seed")!;
    const commands = seed.steps.map((s) => s.command ?? "").join("\n");
    expect(commands).toContain("elcolio/etcd");
    expect(commands).toContain("percona/percona-xtradb-cluster");
    expect(commands).not.toMatch(/swarmlab\/(galera|etcd)/);
    expect(seed.steps.filter((s) => s.changed?.includes("--images upstream")).length).toBe(3);
    expect(readFileSync(join(report, "summary.md"), "utf8")).toMatch(/^## Images\n\nImages: upstream /m);
    // And the pulls went through the stand-in registry.
    const log = readFileSync(join(STAND_IN_DIR, "registry.log"), "utf8").slice(logBefore);
    for (const repo of ["library/debian", "elcolio/etcd", "percona/percona-xtradb-cluster"]) expect(log).toMatch(new RegExp(`"(GET|HEAD) /v2/${repo}/manifests/`));
  });

  it("auto with the registry stopped falls back to local, saying why", async () => {
    await mustStandIn(["stop"]);
    await forgetPulled();
    const r = await swarmlab(["up", "--images", "auto", "--replace"]);
    expect(r.exitCode, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
    expect(r.stdout).toMatch(/^images: local \(--images auto: local, because no registry answers \(debian:bookworm from Docker Hub through the engine's mirror http:\/\/127\.0\.0\.1:5000: .+\)\): swarmlab\/etcd, swarmlab\/galera$/m);
    expect((await swarmlab(["down"])).exitCode).toBe(0);
  });

  it("a registry that answers but lacks percona/percona-xtradb-cluster: one line and the fix, nothing made", async () => {
    await mustStandIn(["start"]);
    await mustStandIn(["drop", "percona/percona-xtradb-cluster"]);
    await forgetPulled();
    const r = await swarmlab(["up", "--images", "upstream"]);
    expect(r.exitCode).toBe(1);
    const lines = r.stderr.trim().split("\n");
    const error = lines.find((l) => l.startsWith("swarmlab: "));
    expect(error).toMatch(/^swarmlab: registry Docker Hub through the engine's mirror http:\/\/127\.0\.0\.1:5000 answers but has no percona\/percona-xtradb-cluster \(the engine said: .+\): push it there or use --images local$/);
    expect(lines.find((l) => l.startsWith("hint: "))).toMatch(/docker push <registry>\/percona\/percona-xtradb-cluster/);
    expect(await labelled(LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
