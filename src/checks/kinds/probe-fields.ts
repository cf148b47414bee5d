/** The fields of the http, tcp and sql probes, shared by their wait and their check. */
import { z } from "zod";
import { host, members, serviceName } from "../../context/fields.js";

export const httpFields = {
  url: z.string().url().describe("a URL"),
  on: host.optional(),
  task: serviceName.optional(),
  status: z.number().int().min(100).max(599).optional().describe("an HTTP status (optional)"),
  body: z.string().optional().describe("a regex (optional)"),
};
export const tcpFields = {
  address: z.string().regex(/^[A-Za-z0-9_.-]+:\d{1,5}$/).describe("host:port"),
  on: host.optional(),
  task: serviceName.optional(),
};
export const sqlFields = {
  service: serviceName,
  query: z.string().min(1).describe("SQL"),
  expect: z.string().optional().describe("a regex (optional)"),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
  members: members.optional(),
};
