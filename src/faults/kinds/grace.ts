import { z } from "zod";

/** stop's grace in seconds: 0 (the default) is SIGTERM then SIGKILL at once, more is a clean shutdown. */
export const grace = z.number().int().min(0).max(300).optional();
export const graceNote = (g?: number) => (g ? ` (clean, grace ${g} s)` : "");
