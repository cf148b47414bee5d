import { describe, expect, it } from "vitest";
import {
  HostUnreachableError,
  channelOutcome,
  describeSshCause,
  lostHostMessage,
  lostHostsIn,
  lostHostsMarkdown,
  shortCommand,
  sshFailureKind,
  whatToCheck,
  type SshTarget,
} from "../../src/hosts/lost-host.js";
import { HealIncompleteError, HealSkips } from "../../src/faults/active.js";
import { LostHostBook } from "../../src/scenarios/lost-hosts.js";
import { markdownSummary } from "../../src/report/report.js";
import { CommandError, LabError } from "../../src/util/errors.js";
import type { ScenarioResult, StepResult } from "../../src/context/run-context.js";

/** Errors shaped as ssh2 and Node's net make them (code, level, message). */
const netError = (code: string, message: string, level = "client-socket") => Object.assign(new Error(message), { code, level });
const ssh2Error = (message: string, level: string) => Object.assign(new Error(message), { level });

const docker3: SshTarget = { host: "docker3", user: "admin", address: "10.20.0.13", port: 2222, keyFile: "/home/me/lab key", inventory: "/home/me/inv.yaml" };
const lostDocker3 = (command = "sleep 97") =>
  new HostUnreachableError({ target: docker3, command, phase: "drop", causes: ["no answer to SSH keepalives for 20 s (Keepalive timeout)", "no SSH greeting within 10 s: sshd stopped or frozen, or the machine gone (Timed out while waiting for handshake)"], wasReached: true });

describe("sshFailureKind: a lost machine, a refused login, or an ordinary failure", () => {
  it.each([
    ["ECONNREFUSED", netError("ECONNREFUSED", "connect ECONNREFUSED 10.20.0.13:22")],
    ["ETIMEDOUT", netError("ETIMEDOUT", "connect ETIMEDOUT 10.20.0.13:22")],
    ["EHOSTUNREACH", netError("EHOSTUNREACH", "connect EHOSTUNREACH 10.20.0.13:22")],
    ["ENETUNREACH", netError("ENETUNREACH", "connect ENETUNREACH 10.20.0.13:22")],
    ["ECONNRESET", netError("ECONNRESET", "read ECONNRESET")],
    ["the handshake timeout", ssh2Error("Timed out while waiting for handshake", "client-timeout")],
    ["the keepalive timeout", ssh2Error("Keepalive timeout", "client-timeout")],
    ["a connection lost before the handshake", ssh2Error("Connection lost before handshake", "protocol")],
    ["channel requests on a closed connection", new Error("No response from server")],
    ["an exec on a closed client", new Error("Not connected")],
    ["docker-modem over a dead connection", new Error("socket hang up")],
  ])("%s is a lost machine", (_, err) => {
    expect(sshFailureKind(err)).toBe("unreachable");
  });

  it("looks through the lab's own wrapping (LabError with the ssh2 error as cause)", () => {
    const wrapped = new LabError("cannot reach docker3 over SSH (root@10.20.0.13:22): connect ECONNREFUSED 10.20.0.13:22", { cause: netError("ECONNREFUSED", "connect ECONNREFUSED 10.20.0.13:22") });
    expect(sshFailureKind(wrapped)).toBe("unreachable");
  });

  it("a refused login is not a lost machine", () => {
    expect(sshFailureKind(ssh2Error("All configured authentication methods failed", "client-authentication"))).toBe("auth");
    expect(sshFailureKind(new LabError("cannot reach docker1 over SSH", { cause: ssh2Error("All configured authentication methods failed", "client-authentication") }))).toBe("auth");
  });

  it.each([
    ["a failed command", new CommandError(["iptables", "-D", "INPUT"], "docker3", 1, "", "iptables: Bad rule")],
    ["a channel the server refused", Object.assign(new Error("(SSH) Channel open failure: open failed"), { reason: 2 })],
    ["a plain error", new Error("exit code 1")],
    ["nothing", undefined],
    ["a string", "ECONNREFUSED"],
  ])("%s is an ordinary failure", (_, err) => {
    expect(sshFailureKind(err)).toBe("other");
  });
});

describe("channelOutcome: how an exec channel ended", () => {
  it("an exit status is a result, whatever became of the connection after it", () => {
    expect(channelOutcome(0, undefined, false)).toBe("exited");
    expect(channelOutcome(3, undefined, true)).toBe("exited");
  });
  it("a signal ended the command: not a lost host", () => {
    expect(channelOutcome(null, "SIGKILL", false)).toBe("signalled");
  });
  it("no status and the connection gone: dropped (the lost-host path); on a live connection: closed without status", () => {
    expect(channelOutcome(undefined, undefined, true)).toBe("dropped");
    expect(channelOutcome(null, undefined, true)).toBe("dropped");
    expect(channelOutcome(undefined, undefined, false)).toBe("closed-without-status");
  });
});

describe("describeSshCause: ssh2's words for a person", () => {
  it("says what each failure means, keeping the original", () => {
    expect(describeSshCause(ssh2Error("Keepalive timeout", "client-timeout"))).toBe("no answer to SSH keepalives for 20 s (Keepalive timeout)");
    expect(describeSshCause(ssh2Error("Keepalive timeout", "client-timeout"), { keepaliveIntervalMs: 200, keepaliveCountMax: 1 })).toBe("no answer to SSH keepalives for 0.4 s (Keepalive timeout)");
    expect(describeSshCause(ssh2Error("Timed out while waiting for handshake", "client-timeout"))).toMatch(/^no SSH greeting within 10 s: sshd stopped or frozen, or the machine gone \(Timed out/);
    expect(describeSshCause(netError("ECONNREFUSED", "connect ECONNREFUSED 10.20.0.13:22"))).toMatch(/^connection refused: .*no sshd listens.*\(connect ECONNREFUSED/);
    expect(describeSshCause(netError("EHOSTUNREACH", "connect EHOSTUNREACH 10.20.0.13:22"))).toMatch(/^no route to the machine: powered off or off the network/);
    expect(describeSshCause(new Error("something else"))).toBe("something else");
  });
});

describe("the lost host's words", () => {
  it("names the host first, then how it was reached, what ran, and both failures", () => {
    const e = lostDocker3();
    expect(e).toBeInstanceOf(LabError);
    expect(e.name).toBe("HostUnreachableError");
    expect(e.host).toBe("docker3");
    expect(e.ssh).toBe("admin@10.20.0.13:2222");
    expect(e.message).toBe(
      "docker3 lost: SSH to admin@10.20.0.13:2222 broke while it ran `sleep 97`: no answer to SSH keepalives for 20 s (Keepalive timeout); one new connection failed too: no SSH greeting within 10 s: sshd stopped or frozen, or the machine gone (Timed out while waiting for handshake)",
    );
  });

  it("a connection that could not be made again, and one never made", () => {
    expect(lostHostMessage({ target: docker3, command: "iptables -w 5 -D INPUT", phase: "connect", causes: ["connection refused", "connection refused"], wasReached: true })).toBe(
      "docker3 lost: SSH to admin@10.20.0.13:2222 stopped answering before `iptables -w 5 -D INPUT` could run: connection refused; one new connection failed too: connection refused",
    );
    expect(lostHostMessage({ target: docker3, command: "test -d /var/lib/swarmlab/x", phase: "connect", causes: ["no route"], wasReached: false })).toBe("cannot reach docker3 over SSH (admin@10.20.0.13:2222) to run `test -d /var/lib/swarmlab/x`: no route");
  });

  it("a later command refused because of the same loss says so, without a new attempt", () => {
    const e = lostDocker3();
    const again = e.again("docker ps");
    expect(again.facts.command).toBe("docker ps");
    expect(again.at).toBe(e.at);
    expect(again.message).toMatch(/^docker3 lost: .*`docker ps`.*\(declared lost \d+ s ago, not tried again yet\)$/);
    expect(lostHostsIn(again).map((x) => x.host)).toEqual(["docker3"]);
  });

  it("what to check: SSH by hand with the key, ping, sshd, a reboot, and down once it is back", () => {
    const lines = whatToCheck(docker3, "ci");
    expect(lines[0]).toBe("what to check on docker3 (admin@10.20.0.13:2222):");
    expect(lines).toContain("from this machine, does SSH answer with the lab's key: ssh -i '/home/me/lab key' -p 2222 admin@10.20.0.13 true");
    expect(lines).toContain("is the machine powered and on the network: ping -c 3 10.20.0.13");
    expect(lines.join("\n")).toMatch(/is sshd running: systemctl status ssh/);
    expect(lines.join("\n")).toMatch(/rebooted .*iptables rules on it are gone and dockerd may have restarted/);
    expect(lines.join("\n")).toMatch(/swarmlab --hosts \/home\/me\/inv\.yaml --name ci down removes the lab/);
    expect(lines.join("\n")).toMatch(/docs\/real-hosts\.md, "Losing a host mid-run"/);
    // The default lab needs no --name; the error's hint is the same text.
    expect(whatToCheck(docker3, "swarmlab").join("\n")).toMatch(/swarmlab --hosts \/home\/me\/inv\.yaml down/);
    expect(lostDocker3().hint).toMatch(/^what to check on docker3/);
  });

  it("a script is shown as its first lines, not a page", () => {
    expect(shortCommand(["sh", "-c", "sleep 97"])).toBe("sleep 97");
    expect(shortCommand(["iptables", "-w", "5", "-D", "INPUT", "-m", "comment", "--comment", "swarmlab x"])).toBe("iptables -w 5 -D INPUT -m comment --comment 'swarmlab x'");
    expect(shortCommand(["sh", "-c", `a\n${"b".repeat(200)}`])).toMatch(/^a; b+\.\.\.$/);
    expect(shortCommand(["sh", "-c", `a\n${"b".repeat(200)}`])).toHaveLength(120);
  });

  it("lostHostsIn finds them through causes and aggregates, one per host", () => {
    const e3 = lostDocker3();
    const e2 = new HostUnreachableError({ target: { ...docker3, host: "docker2" }, phase: "connect", causes: ["x"], wasReached: true });
    expect(lostHostsIn(new LabError("step failed", { cause: e3 })).map((e) => e.host)).toEqual(["docker3"]);
    expect(lostHostsIn(new AggregateError([e3, e2, e3.again("ls")])).map((e) => e.host)).toEqual(["docker3", "docker2"]);
    expect(lostHostsIn(new Error("nothing lost"))).toEqual([]);
    expect(lostHostsIn(undefined)).toEqual([]);
  });
});

describe("heal-skip bookkeeping", () => {
  it("once a host is lost its remaining work is skipped and noted; other failures stay failures", () => {
    const skips = new HealSkips();
    expect(skips.any).toBe(false);
    expect(skips.lostBy(new CommandError(["iptables"], "docker1", 1, "", "Bad rule"))).toEqual([]);
    expect(skips.lostBy(new LabError("wrapped", { cause: lostDocker3("iptables -w 5 -D INPUT") }))).toEqual(["docker3"]);
    skips.skip("docker3", "docker3: iptables -D INPUT -s 10.20.0.11 -j DROP");
    expect(skips.isLost("docker3")).toBe(true);
    expect(skips.isLost("docker1")).toBe(false);
    skips.skip("docker3", "unpause docker3");
    expect(skips.skipped()).toEqual({ docker3: ["docker3: iptables -D INPUT -s 10.20.0.11 -j DROP", "unpause docker3"] });
    expect(skips.lines()).toEqual([expect.stringMatching(/^docker3 lost, 2 heal actions there skipped \(docker3 lost: SSH to admin@10\.20\.0\.13:2222/)]);
  });

  it("the heal's error says what was healed, what was skipped where, and carries the lost host", () => {
    const skips = new HealSkips();
    skips.lostBy(lostDocker3());
    skips.skip("docker3", "docker3: iptables -D OUTPUT -d 10.20.0.11 -j DROP");
    const err = new HealIncompleteError(["docker1: iptables -D INPUT -s 10.20.0.13 -j DROP"], skips, ["docker2: iptables: Bad rule"]);
    expect(err.message).toMatch(/^heal left work undone: docker3 lost, 1 heal action there skipped \(.*\); docker2: iptables: Bad rule$/);
    expect(err.healed).toEqual(["docker1: iptables -D INPUT -s 10.20.0.13 -j DROP"]);
    expect(err.skipped).toEqual({ docker3: ["docker3: iptables -D OUTPUT -d 10.20.0.11 -j DROP"] });
    expect(lostHostsIn(err).map((e) => e.host)).toEqual(["docker3"]);
    expect(err.hint).toMatch(/^what to check on docker3/);
  });
});

describe("the runner's lost-host book", () => {
  const step = (index: number, title: string): StepResult => ({ index, title, kind: "run", ok: false, seconds: 1, startedAt: "2026-01-01T00:00:00.000Z" });

  it("a step that failed with the lost host's error: an entry with where, the heal's skips and what to check", () => {
    const book = new LostHostBook({}, "ci", 0);
    const r = step(1, "docker3: sleep 97");
    const e = lostDocker3();
    r.error = e.message;
    book.fromStep(r, e);
    expect(r.error).toBe(e.message);
    const skips = new HealSkips();
    skips.lostBy(e.again("iptables -w 5 -D INPUT"));
    skips.skip("docker3", "docker3: iptables -D INPUT -s 10.20.0.11 -j DROP");
    const note = book.fromHeal(new HealIncompleteError(["docker1: iptables -D INPUT -s 10.20.0.13 -j DROP"], skips, []));
    expect(note).toMatchObject({ error: expect.stringMatching(/^heal left work undone: docker3 lost/), healed: ["docker1: iptables -D INPUT -s 10.20.0.13 -j DROP"], skipped: { docker3: ["docker3: iptables -D INPUT -s 10.20.0.11 -j DROP"] } });
    expect(book.any).toBe(true);
    const [entry, ...more] = book.report();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ host: "docker3", ssh: "admin@10.20.0.13:2222", during: "step 2: docker3: sleep 97", command: "sleep 97", error: e.message, healSkipped: ["docker3: iptables -D INPUT -s 10.20.0.11 -j DROP"] });
    expect(entry!.whatToCheck.join("\n")).toMatch(/--name ci down/);
    const notes = book.notes();
    expect(notes[0]).toBe("docker3 (admin@10.20.0.13:2222) was lost in step 2: docker3: sleep 97; heal skipped 1 action there (its lab rules stay until `down`)");
    expect(notes).toContain("what to check on docker3 (admin@10.20.0.13:2222):");
    expect(notes.some((n) => n.startsWith("  - from this machine, does SSH answer"))).toBe(true);
  });

  it("a wait that timed out while the provider declared a host lost: the step's error names it too", () => {
    const e = lostDocker3();
    const provider = { lostHosts: (since?: number) => [e].filter((x) => x.at >= (since ?? 0)) };
    const r = step(3, "wait galera-synced (3)");
    r.error = "timed out after 180s waiting for 3 members Synced; last seen: 2 Synced";
    new LostHostBook(provider, "swarmlab", e.at - 1000).fromStep(r, new Error(r.error));
    expect(r.error).toMatch(/^timed out after 180s .*\n\(meanwhile docker3 lost: SSH to admin@10\.20\.0\.13:2222 broke/);
    // A host lost before this scenario began is not its failure.
    const r2 = step(3, "wait galera-synced (3)");
    r2.error = "timed out";
    const book = new LostHostBook(provider, "swarmlab", e.at + 1000);
    book.fromStep(r2, new Error("timed out"));
    expect(r2.error).toBe("timed out");
    expect(book.any).toBe(false);
  });

  it("a failure with no lost host leaves no entry and no note", () => {
    const book = new LostHostBook({ lostHosts: () => [] }, "swarmlab", 0);
    const r = step(0, "check history");
    r.error = "2 acknowledged writes lost";
    book.fromStep(r, new LabError(r.error));
    expect(book.fromHeal(new LabError("heal left work undone: docker1: iptables: Bad rule"))).toEqual({ error: "heal left work undone: docker1: iptables: Bad rule" });
    expect(book.any).toBe(false);
    expect(book.notes()).toEqual([]);
  });

  it("summary.md gets a Lost host section: where, the error, what heal skipped, what to check", () => {
    const book = new LostHostBook({}, "swarmlab", 0);
    const r = step(1, "docker3: sleep 97");
    r.error = lostDocker3().message;
    book.fromStep(r, lostDocker3());
    book.report()[0]!.healSkipped.push("docker3: iptables -D INPUT -s 10.20.0.11 -j DROP");
    const md = lostHostsMarkdown(book.report()).join("\n");
    expect(md).toMatch(/^\n### Lost host: docker3\n\ndocker3 \(admin@10\.20\.0\.13:2222\) was lost in step 2: docker3: sleep 97, at /);
    expect(md).toMatch(/Heal skipped on docker3 \(left as it was, so the other hosts were healed\):\n\n- `docker3: iptables -D INPUT -s 10\.20\.0\.11 -j DROP`/);
    expect(md).toMatch(/\nWhat to check on docker3 \(admin@10\.20\.0\.13:2222\):\n\n- from this machine, does SSH answer with the lab's key: ssh -i/);
    const scenario: ScenarioResult = { scenario: "lost-host", title: "t", file: "f", ok: false, seconds: 1, startedAt: r.startedAt, steps: [r], timeline: [], figures: {}, recoveries: [], samples: [], writes: [], notes: [], lostHosts: book.report() };
    const summary = markdownSummary({ lab: "swarmlab", ok: false, startedAt: r.startedAt, seconds: 1, scenarios: [scenario], setup: [] });
    expect(summary).toContain("### Lost host: docker3");
    expect(summary).toContain("systemctl status ssh");
  });
});
