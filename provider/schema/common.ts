import { z } from "zod";
import * as net from "node:net";
import { IF_NAME_MAX, IF_NAME_PATTERN } from "../shared/names";

/**
 * Shared validators. Every value that reaches a remote shell passes one of these first: the quoting helper
 * makes injection impossible, these make nonsense impossible (and give the user a reason, per property).
 */

/** Linux interface names: at most 15 bytes (IFNAMSIZ 16 incl. NUL), no '/', whitespace, ':' or leading '-'. */
export const ifName = z
  .string()
  .min(1, "must not be empty")
  .max(IF_NAME_MAX, `must be at most ${IF_NAME_MAX} characters (Linux IFNAMSIZ)`)
  .regex(IF_NAME_PATTERN, "may contain only letters, digits, '_', '.', '-' and must not start with '-' or '.'")
  .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'");

/** OVS bridge names are interface names too (the bridge has a same-named internal port). */
export const bridgeName = ifName;

/** Names of network namespaces (files under /run/netns). */
export const netnsName = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "may contain only letters, digits, '_', '.', '-' and must not start with '-' or '.'");

/** A docker container name or ID. */
export const containerRef = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a docker container name or ID ([A-Za-z0-9][A-Za-z0-9_.-]*)");

export const ipv4 = z.string().refine((s) => net.isIPv4(s), "must be an IPv4 address");
export const ipAddress = z.string().refine((s) => net.isIP(s) !== 0, "must be an IPv4 or IPv6 address");

/** An address with prefix length, e.g. 198.18.1.2/24 or 2001:db8::1/64. */
export const cidr = z.string().refine(isCidr, "must be an address with prefix length, e.g. 198.18.1.2/24");

export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const family = net.isIP(m[1]);
  const len = Number(m[2]);
  return (family === 4 && len <= 32) || (family === 6 && len <= 128);
}

/** Unicast MAC address, lower or upper case hex, colon separated. */
export const mac = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, "must be a MAC address like 02:00:00:00:00:01")
  .transform((s) => s.toLowerCase());

export const vlanId = z.number().int("must be an integer").min(0, "must be 0..4095").max(4095, "must be 0..4095");

export const mtu = z.number().int("must be an integer").min(68, "must be at least 68").max(65535, "must be at most 65535");

/** Keys and values of OVS maps (external_ids, other_config, options). */
export const ovsMapKey = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, "may contain only letters, digits, '_', '.', ':', '-'");
export const ovsMapValue = z
  .string()
  .max(1024, "must be at most 1024 characters")
  .refine((s) => !/[\x00-\x1f\x7f]/.test(s), "must not contain control characters");
export const ovsMap = z.record(ovsMapKey, ovsMapValue);

/** Set to true to take over an object that already exists on the host and was not created by pulumi-ovs. */
export const adopt = z.boolean().optional();
