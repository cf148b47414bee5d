import { z } from "zod";

/** Which way packets are dropped: towards the host (in), from it (out), or both. */
export const direction = z.enum(["in", "out", "both"]).default("both");
