import { expect } from "vitest";
import Docker from "dockerode";

/** The suite's own lab: `npm test` never replaces a lab it did not create (a trainer's `swarmlab`). */
export const TEST_LAB = "swarmlab-test";

/** Everything on the real engine that carries a lab's label. */
export async function labelled(lab: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const docker = new Docker();
  const filters = { label: [`swarmlab.lab=${lab}`] };
  const containers = (await docker.listContainers({ all: true, filters })).length;
  const networks = (await docker.listNetworks({ filters })).length;
  const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).length;
  return { containers, networks, volumes };
}

import { execa } from "execa";

/** Debian's chromium for rendering pages headless; installed like the engine when missing (root, Debian). */
export async function ensureChromium(): Promise<string> {
  const found = await execa("sh", ["-c", "command -v chromium"], { reject: false });
  if (found.exitCode === 0) return found.stdout.trim();
  const apt = await execa("apt-get", ["install", "-y", "-q", "--no-install-recommends", "chromium"], { reject: false, env: { DEBIAN_FRONTEND: "noninteractive" } });
  if (apt.exitCode !== 0) {
    await execa("apt-get", ["update", "-q"], { reject: false });
    await execa("apt-get", ["install", "-y", "-q", "--no-install-recommends", "chromium"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
  }
  return "chromium";
}

/** Renders a local page in headless Chromium: its DOM after scripts ran, and a screenshot. */
export async function renderPage(file: string, screenshot: string): Promise<string> {
  const chromium = await ensureChromium();
  const common = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--window-size=1400,1000"];
  await execa(chromium, [...common, `--screenshot=${screenshot}`, `file://${file}`], { timeout: 120_000 });
  const dom = await execa(chromium, [...common, "--dump-dom", `file://${file}`], { timeout: 120_000 });
  return dom.stdout;
}

/** Where scripts/stand-in-registry.sh keeps the stand-in Docker Hub (its storage, its log). */
export const STAND_IN_DIR = "/var/lib/swarmlab-stand-in-registry";

/** Runs scripts/stand-in-registry.sh with `args` (start, push-stand-ins, add-mirror, stop...); never throws. */
export const standIn = (args: string[]) => execa("sh", ["scripts/stand-in-registry.sh", ...args], { reject: false, env: { ...process.env, STAND_IN_DIR } });

/** The same, expected to succeed (the script's output in the failure message). */
export async function mustStandIn(args: string[]): Promise<void> {
  const r = await standIn(args);
  expect(r.exitCode, `stand-in-registry.sh ${args.join(" ")}: ${r.stdout}\n${r.stderr}`).toBe(0);
}
