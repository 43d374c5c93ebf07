/**
 * Ownership rules shared by every layer. This module sits at the bottom of the provider: it imports nothing from
 * provider/ (see test/unit/import-direction.test.ts).
 */

/** external_ids key (and docker label) that marks objects pulumi-ovs created; the value names the owner. */
export const OWNER_KEY = "pulumi-ovs-owner";
