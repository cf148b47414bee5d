/**
 * The ssh provider for real: three stand-in machines (sshd + dockerd, made by `machines up`), then
 * the lab drives them over SSH alone, with DOCKER_HOST pointing nowhere so no code path can reach
 * this machine's engine. The scenarios pass, and `down` leaves the machines as it found them.
 * Last, `--images upstream` over SSH: each machine's dockerd pulls the walkthrough's images through
 * a mirror (scripts/stand-in-registry.sh standing in for Docker Hub).
 */
import { afterAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import Docker from "dockerode";
import ssh2 from "ssh2";
import { parse } from "yaml";
import { mustStandIn, standIn, STAND_IN_DIR } from "./helpers.js";

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

/** A machine of the inventory `machines up` wrote: where it is and the key that reaches it. */
function machineOf(name: string): { address: string; ssh: { user: string; port: number; key: string } } {
  const inv = parse(readFileSync(inventory, "utf8")) as { hosts: Array<{ name: string; address: string; ssh: { user: string; port: number; key: string } }> };
  return inv.hosts.find((h) => h.name === name)!;
}

/** Whether the machine's sshd greets and lets the lab's key in (from this process, not the lab). */
function sshAnswers(name: string): Promise<boolean> {
  const m = machineOf(name);
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.once("ready", () => {
      c.end();
      resolve(true);
    });
    c.once("error", () => resolve(false));
    c.connect({ host: m.address, port: m.ssh.port, username: m.ssh.user, privateKey: readFileSync(m.ssh.key), readyTimeout: 5000 });
  });
}

/** The failed steps of a report, with their errors and output: what a CI log must show. */
function failedSteps(report: string): string {
  try {
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8")) as { scenarios: Array<{ scenario: string; steps: Array<{ title: string; ok: boolean; host?: string; error?: string; output?: string }> }> };
    return json.scenarios
      .flatMap((s) => s.steps.filter((x) => !x.ok).map((x) => `${s.scenario} / ${x.title}${x.host ? ` on ${x.host}` : ""}: ${x.error ?? ""}\n${(x.output ?? "").slice(-1500)}`))
      .join("\n");
  } catch (e) {
    return `(no report.json: ${(e as Error).message})`;
  }
}

/** A failed run's report outlives the temp dir: copied under reports/ where CI keeps its artifacts. */
function keepReport(report: string): void {
  const kept = join("reports", `ssh-provider-${Date.now()}`);
  try {
    cpSync(report, kept, { recursive: true });
    console.error(`ssh-provider: the failed run's report is kept in ${kept}`);
  } catch {
    /* nothing written: the failure message still carries the failed steps */
  }
}

let standInStarted = false;

afterAll(async () => {
  await swarmlab(["--name", MACHINES, "machines", "down"]);
  if (standInStarted) await standIn(["stop"]);
  rmSync(dir, { recursive: true, force: true });
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
    if (r.exitCode !== 0) keepReport(report);
    expect(r.exitCode, `${failedSteps(report)}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
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

  it("losing SSH to docker3 mid-run: the run fails naming docker3, heals docker1 and docker2, says what to check; down cleans up once it is back", async () => {
    // A partition with rules on all three machines, then a long command on docker3 while its sshd freezes.
    const scenario = join(dir, "lost-host.yaml");
    writeFileSync(
      scenario,
      [
        "name: lost-host",
        "title: docker3's sshd freezes in the middle of a partition",
        "needs: swarm",
        "steps:",
        "  - name: cut docker3 off from docker1 and docker2 (rules on all three machines)",
        "    fault: { kind: split, groups: [[docker1, docker2], [docker3]] }",
        "  - on: docker3",
        "    run: sleep 97",
        "    timeout: 150",
        "  - heal: all",
        "",
      ].join("\n"),
    );
    const report = join(dir, "report-lost-host");
    const machine3 = new Docker().getContainer(`${MACHINES}-docker3`);
    const addr3 = machineOf("docker3").address.replace(/\./g, "\\.");
    let finished = false;
    // --keep: the lab stays, so docker1's and docker2's rules being gone is heal's doing, not down's.
    const run = swarmlab(["--hosts", inventory, "--name", LAB, "run", scenario, "--keep", "--report", report], NO_ENGINE).finally(() => (finished = true));
    let frozen = false;
    try {
      // The fault is in place once `sleep 97` runs on docker3 (the step after it).
      const deadline = Date.now() + 10 * 60_000;
      while (!finished && Date.now() < deadline && (await onMachine("docker3", "ps -eo args= | grep -cx 'sleep 97' || true")) === "0") await new Promise((r) => setTimeout(r, 500));
      expect(finished, "the run ended before its long command began").toBe(false);
      // sshd is the machine's PID 1 (the listener): SIGSTOP reaches a namespace's init only from outside
      // it, so the outer engine sends it; the per-connection sshd processes are stopped from inside.
      await machine3.kill({ signal: "SIGSTOP" });
      frozen = true;
      await onMachine("docker3", "pkill -STOP -x sshd; pkill -STOP -x sshd-session; true");
      const r = await run;
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.exitCode, out.slice(-4000)).toBe(1);
      // The step's error and the final line name docker3; the terminal says what to check there.
      expect(r.stderr).toMatch(/docker3 lost: SSH to root@[\d.]+:22 broke while it ran `sleep 97`: no answer to SSH keepalives/);
      expect(r.stderr).toMatch(/what to check on docker3 \(root@/);
      expect(r.stderr).toMatch(new RegExp(`ssh -i \\S+ -p 22 root@${addr3} true`));
      expect(r.stderr).toMatch(new RegExp(`ping -c 3 ${addr3}`));
      expect(r.stderr).toMatch(/systemctl status ssh/);
      expect(r.stdout).toMatch(/FAILED: lost-host ✗ \(lost docker3/);
      type Lost = { host: string; healSkipped: string[]; whatToCheck: string[] };
      const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8")) as { ok: boolean; scenarios: Array<{ scenario: string; ok: boolean; steps: Array<{ title: string; ok: boolean; error?: string; seconds: number }>; lostHosts?: Lost[] }> };
      const s = json.scenarios.find((x) => x.scenario === "lost-host")!;
      expect(s.ok).toBe(false);
      const failed = s.steps.find((x) => !x.ok)!;
      expect(failed.title).toBe("docker3: sleep 97");
      expect(failed.error).toMatch(/^docker3 lost: /);
      // Noticed by keepalives and one reconnect, not by the command ending (97 s) or its timeout (150 s).
      expect(failed.seconds).toBeLessThan(90);
      expect(s.lostHosts?.map((l) => l.host)).toEqual(["docker3"]);
      expect(s.lostHosts![0]!.healSkipped.length, "heal skipped docker3's rules").toBeGreaterThan(0);
      expect(s.lostHosts![0]!.whatToCheck.join("\n")).toMatch(/systemctl status ssh/);
      const summary = readFileSync(join(report, "summary.md"), "utf8");
      expect(summary).toMatch(/### Lost host: docker3/);
      expect(summary).toMatch(/What to check on docker3/);
      // The other machines were healed: none of the lab's rules is left there.
      for (const m of ["docker1", "docker2"]) expect(await onMachine(m, "iptables-save | grep -c -- '--comment swarmlab' || true"), m).toBe("0");
      // docker3 was skipped, not hung on: its rules are still there, for down.
      expect(Number(await onMachine("docker3", "iptables-save | grep -c -- '--comment swarmlab' || true"))).toBeGreaterThan(0);
    } finally {
      if (frozen) {
        // Thawed whatever happened above (a failed expectation must not leave the machine frozen).
        await onMachine("docker3", "pkill -CONT -x sshd; pkill -CONT -x sshd-session; true").catch(() => "");
        await machine3.kill({ signal: "SIGCONT" }).catch(() => {});
      }
      await run;
    }
    // Back: down removes the lab from every machine, docker3's leftovers included.
    const back = Date.now() + 60_000;
    while (!(await sshAnswers("docker3")) && Date.now() < back) await new Promise((r) => setTimeout(r, 1000));
    const d = await swarmlab(["--hosts", inventory, "--name", LAB, "down"], NO_ENGINE);
    expect(d.exitCode, d.stderr).toBe(0);
    for (const m of ["docker1", "docker2", "docker3"]) {
      expect(await onMachine(m, "docker info --format '{{.Swarm.LocalNodeState}}'"), m).toBe("inactive");
      expect(await onMachine(m, "docker ps -aq | wc -l"), m).toBe("0");
      expect(await onMachine(m, "iptables-save | grep -c -- '--comment swarmlab' || true"), m).toBe("0");
      expect(await onMachine(m, "docker images -q | wc -l"), m).toBe("0");
      expect(await onMachine(m, `test -d /var/lib/swarmlab/${LAB} && echo yes || echo no`), m).toBe("no");
    }
  });
  it("--images upstream over SSH: each machine pulls the walkthrough's images through its own engine's mirror; the seed runs them; down removes them", async () => {
    // A registry of our own stands in for Docker Hub (nothing else is reachable here), and each
    // machine's dockerd is given it as a mirror, as a team would set up its own servers.
    standInStarted = true;
    await mustStandIn(["start"]);
    await mustStandIn(["push-stand-ins"]);
    const info = await new Docker().getContainer(`${MACHINES}-docker1`).inspect();
    const gateway = Object.values(info.NetworkSettings.Networks).map((n) => n.Gateway).find(Boolean)!;
    const mirror = `http://${gateway}:5000`;
    // Only the mirror: the stand-ins' dockerd already has --insecure-registry on its command line, and
    // a directive both there and in daemon.json fails the reload. An http:// mirror needs no more.
    const daemonJson = JSON.stringify({ "registry-mirrors": [mirror] });
    for (const m of ["docker1", "docker2", "docker3"]) {
      // dockerd reloads its mirrors on SIGHUP; the engine is not restarted.
      await onMachine(m, `mkdir -p /etc/docker && printf '%s' '${daemonJson}' > /etc/docker/daemon.json && pkill -HUP -x dockerd`);
      const deadline = Date.now() + 20_000;
      while (!(await onMachine(m, "docker info --format '{{json .RegistryConfig.Mirrors}}'")).includes(mirror) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      expect(await onMachine(m, "docker info --format '{{json .RegistryConfig.Mirrors}}'"), m).toContain(mirror);
      expect(await onMachine(m, "docker images -q | wc -l"), m).toBe("0");
    }
    const report = join(dir, "report-upstream");
    const r = await swarmlab(["--hosts", inventory, "--name", LAB, "run", "seed", "--images", "upstream", "--report", report], NO_ENGINE);
    if (r.exitCode !== 0) keepReport(report);
    expect(r.exitCode, `${failedSteps(report)}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8")) as {
      ok: boolean;
      images?: { mode: string; images: Array<{ role: string; name: string; ref: string; id: string; origin: string }> };
      scenarios: Array<{ scenario: string; steps: Array<{ command?: string; changed?: string }> }>;
    };
    expect(json.ok).toBe(true);
    expect(json.images?.mode).toBe("upstream");
    expect(json.images?.images.map((i) => [i.role, i.ref])).toEqual([
      ["etcd", "elcolio/etcd:latest"],
      ["galera", "percona/percona-xtradb-cluster:latest"],
    ]);
    for (const i of json.images!.images) expect(i.id, i.role).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The walkthrough's own commands ran, under its own image names.
    const commands = json.scenarios.flatMap((s) => s.steps.map((x) => x.command ?? "")).join("\n");
    expect(commands).toMatch(/percona\/percona-xtradb-cluster/);
    expect(commands).not.toMatch(/swarmlab\/galera/);
    // Each machine pulled from the mirror: the registry served the manifests.
    const log = readFileSync(join(STAND_IN_DIR, "registry.log"), "utf8");
    for (const m of ["docker1", "docker2", "docker3"]) {
      const addr = machineOf(m).address;
      expect(log.includes(addr) && /percona-xtradb-cluster\/manifests/.test(log), `${m} (${addr}) pulled through ${mirror}`).toBe(true);
    }
    const d = await swarmlab(["--hosts", inventory, "--name", LAB, "down"], NO_ENGINE);
    expect(d.exitCode, d.stderr).toBe(0);
    for (const m of ["docker1", "docker2", "docker3"]) expect(await onMachine(m, "docker images -q | wc -l"), `${m}: the pulled images are removed by down`).toBe("0");
  });
});
