/** The wait for a host's own dockerd: shared by host creation (SwarmHostContainer) and power (start, restart). */
import type { Host } from "../host.js";
import { waitFor } from "../../util/wait.js";

/** How long a host's inner dockerd may take to answer after the host starts. */
export const INNER_ENGINE_TIMEOUT_MS = 90_000;

export async function waitForInnerEngine(h: Host, signal?: AbortSignal, timeoutMs = INNER_ENGINE_TIMEOUT_MS): Promise<void> {
  await waitFor(
    `the dockerd inside ${h.name} to answer`,
    async () => (await h.docker(["info", "--format", "{{.ServerVersion}}"], { allowFailure: true, timeoutMs: 10_000 })),
    (r) => r.exitCode === 0,
    { timeoutMs, intervalMs: 500, signal },
    (r) => (r.stderr || r.stdout).split("\n")[0] ?? "",
  );
}
