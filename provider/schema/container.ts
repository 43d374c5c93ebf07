import { z } from "zod";
import { baseInputs, OWNER_KEY } from "./base";
import { containerRef, ruled, stringMap } from "./common";
import { mapKeyProblem, mapValueProblem } from "../shared/values";
import { canonicalCapability } from "../docker/docker";

/** Image references: [registry/]repo[:tag][@digest] — letters, digits and . _ - / : @ only. */
const imageRef = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/, "must be an image reference like pulumi-ovs/busybox:latest");

/** Free text (command words): the shared text rule (no C0/C1 controls, no lone surrogates), bounded. */
const noControl = ruled(mapValueProblem);

/**
 * `docker run` travels as ONE argument (the remote shell's `-c` string), and Linux refuses any argument over
 * 128 KiB mid-apply. Each of command/env/labels is bounded to 16 KiB as the shell will see it (UTF-8 bytes,
 * a quote costing 4 for '\'', 3 more per word for quotes and blank), so all of them together stay far under.
 */
const ARGV_BUDGET = 16 * 1024;
const shellBytes = (words: string[]) => words.reduce((n, w) => n + Buffer.byteLength(w) + 3 * (w.split("'").length - 1) + 3, 0);
const budget = `must be at most ${ARGV_BUDGET / 1024} KiB in all (docker run takes it on one command line, and Linux limits that to 128 KiB)`;
const envNameProblem = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? mapKeyProblem(k) : "must be an environment variable name");
const labelKeyProblem = (k: string) =>
  k.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9._\/-]*$/.test(k) ? mapKeyProblem(k) : "must be a label key like com.example.role";
const capability = z.string().regex(/^(CAP_)?[A-Z_]{2,32}$/, "must be a capability like NET_ADMIN");

export const containerSchema = z
  .object({
    ...baseInputs,
    name: containerRef,
    image: imageRef,
    command: z.array(noControl).max(1024).optional().refine((c) => !c || shellBytes(c) <= ARGV_BUDGET, budget),
    env: stringMap(envNameProblem, noControl)
      .optional()
      .refine((e) => !e || shellBytes(Object.entries(e).map(([k, v]) => `--env ${k}=${v}`)) <= ARGV_BUDGET, budget),
    labels: stringMap(labelKeyProblem, noControl)
      .optional()
      .refine((l) => !l || shellBytes(Object.entries(l).map(([k, v]) => `--label ${k}=${v}`)) <= ARGV_BUDGET, budget)
      .refine((l) => !l || !Object.hasOwn(l, OWNER_KEY), `must not set ${OWNER_KEY}: pulumi-ovs manages it`),
    restartPolicy: z
      .string()
      .regex(/^(no|always|unless-stopped|on-failure(:\d{1,4})?)$/, "must be no, always, unless-stopped or on-failure[:N]")
      .optional(),
    /** Default "none": pulumi-ovs does the wiring. */
    networkMode: z
      .string()
      .regex(/^(none|host|bridge|container:[A-Za-z0-9][A-Za-z0-9_.-]*)$/, "must be none, host, bridge or container:NAME")
      .default("none"),
    capAdd: z
      .array(capability)
      .optional()
      .transform((c) => (c ? [...new Set(c.map(canonicalCapability))].sort() : c)),
    privileged: z.boolean().optional(),
    hostname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, "must be a host name").optional(),
    /** Keep the container running (a stopped container is drift that `pulumi up` repairs with docker start). */
    running: z.boolean().default(true),
  })
  .strict();

export type ContainerInputs = z.output<typeof containerSchema>;
export const containerInputKeys = Object.keys(containerSchema.shape);
