#!/usr/bin/env node
/** The `pulumi-ovs` command (package.json "bin"): see `pulumi-ovs --help`. */
import { run } from "./program";

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
