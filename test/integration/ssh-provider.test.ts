/**
 * The ssh provider for real: three stand-in machines (sshd + dockerd, made by `machines up`), then
 * the lab drives them over SSH alone, with DOCKER_HOST pointing nowhere so no code path can reach
 * this machine's engine. The scenarios pass, and `down` leaves the machines as it found them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import Docker from "dockerode";

const MACHINES = "swarmlab-machines";
const LAB = "swarmlab-ssh";
const dir = mkdtempSync(join(tmpdir(), "swarmlab-ssh-"));
const inventory = join(dir, "machines.yaml");
// Nothing listens there: the ssh provider must never need this machine's engine.
const NO_ENGINE = { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:9", CI: "1" };
const swarmlab = (args: string[], env: NodeJS.ProcessEnv = { ...process.env, CI: "1" }) => execa("node", ["bin/swarmlab.js", ...args], { reject: false, env, timeout: 40 * 60_000 });

async function onMachine(machine: string, cmd: string): Promise<string> {
  const docker = new Docker();
  const exec = await docker.getContainer(`${MACHINES}-${machine}`).exec({ Cmd: ["sh", "-c", cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let out = "";
  stream.on("data", (d: Buffer) => (out += d.toString("utf8").replace(/[\x00-\x08]/g, "")));
  await new Promise((r) => stream.on("end", r));
  return out.trim();
}

afterAll(async () => {
  await swarmlab(["--name", MACHINES, "machines", "down"]);
});

describe("the ssh provider on stand-in machines", () => {
  it("machines up writes an inventory for three machines reached over SSH", async () => {
    const r = await swarmlab(["--name", MACHINES, "machines", "up", "--inventory", inventory]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const text = readFileSync(inventory, "utf8");
    expect(text).toMatch(/^lab: true/m);
    expect(text.match(/^\s+- name: docker\d$/gm)).toHaveLength(3);
  });

  it("a bad inventory, a wrong key and an unreachable machine are refused before anything changes, naming the host", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, readFileSync(inventory, "utf8").replace("lab: true", "lab: false").replace(/port: 22/, "port: 99999"));
    const r1 = await swarmlab(["--hosts", bad, "--name", LAB, "up"], NO_ENGINE);
    expect(r1.exitCode).toBe(1);
    expect(r1.stderr).toMatch(/bad\.yaml:\d+: lab: .*must say `lab: true`/);
    expect(r1.stderr).toMatch(/bad\.yaml:\d+: hosts\.0\.ssh\.port: 99999 is above the maximum 65535/);
    const wrongKey = join(dir, "wrong-key.yaml");
    const otherKey = join(dir, "other_ed25519");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]).catch(async () => {
      const { utils } = await import("ssh2");
      writeFileSync(otherKey, utils.generateKeyPairSync("ed25519").private, { mode: 0o600 });
    });
    writeFileSync(wrongKey, readFileSync(inventory, "utf8").replace(/key: .*/g, `key: ${otherKey}`));
    const r2 = await swarmlab(["--hosts", wrongKey, "--name", LAB, "up"], NO_ENGINE);
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toMatch(/docker1: cannot reach docker1 over SSH .*authentication/i);
    const unreachable = join(dir, "unreachable.yaml");
    writeFileSync(unreachable, readFileSync(inventory, "utf8").replace(/address: (\d+\.\d+\.\d+)\.203/, "address: $1.250"));
    const r3 = await swarmlab(["--hosts", unreachable, "--name", LAB, "up"], NO_ENGINE);
    expect(r3.exitCode).toBe(1);
    expect(r3.stderr).toMatch(/docker3: cannot reach docker3 over SSH/);
    // Nothing was changed: no machine holds the lab's state.
    for (const m of ["docker1", "docker2", "docker3"]) expect(await onMachine(m, `test -d /var/lib/swarmlab/${LAB} && echo yes || echo no`)).toBe("no");
  });

  it("runs seed, node-stop, partition-vxlan and quorum-loss over SSH alone, with the history check", async () => {
    const report = join(dir, "report");
    const r = await swarmlab(["--hosts", inventory, "--name", LAB, "run", "seed", "node-stop", "partition-vxlan", "quorum-loss", "--report", report], NO_ENGINE);
    expect(r.exitCode, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8")) as { ok: boolean; scenarios: Array<{ scenario: string; ok: boolean; steps: Array<{ title: string; ok: boolean }> }> };
    expect(json.scenarios.filter((s) => !s.scenario.includes("start state")).map((s) => [s.scenario, s.ok])).toEqual([
      ["seed", true],
      ["node-stop", true],
      ["partition-vxlan", true],
      ["quorum-loss", true],
    ]);
    for (const s of json.scenarios.filter((x) => x.scenario !== "seed")) expect(s.steps.some((x) => x.title === "check history" && x.ok), s.scenario).toBe(true);
  });

  it("down leaves every machine as it was found: no swarm, no lab containers, no lab rules, no loaded images", async () => {
    const r = await swarmlab(["--hosts", inventory, "--name", LAB, "down"], NO_ENGINE);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const m of ["docker1", "docker2", "docker3"]) {
      expect(await onMachine(m, "docker info --format '{{.Swarm.LocalNodeState}}'")).toBe("inactive");
      expect(await onMachine(m, "docker ps -aq | wc -l")).toBe("0");
      expect(await onMachine(m, "iptables-save | grep -c -- '--comment swarmlab' || true")).toBe("0");
      expect(await onMachine(m, "docker images -q | wc -l")).toBe("0");
      expect(await onMachine(m, `test -d /var/lib/swarmlab/${LAB} && echo yes || echo no`)).toBe("no");
    }
  });
});
