/**
 * testcontainers' settings for the lab, in one place: import this module before testcontainers is
 * used (swarm-host-container.ts does, first). Ryuk, testcontainers' reaper, runs from an image this
 * machine cannot pull, so it is off; the lab removes what it made by its own labels instead
 * (removeLab: everything labelled swarmlab.lab=<lab>), on `down`, on dispose and after a failed `up`.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED = "true";

/** What cleans up a lab's hosts instead of Ryuk (for messages and docs). */
export const CLEANUP = "the lab's label-based removal (swarmlab down / Lab.down(): everything labelled swarmlab.lab=<lab>)";
