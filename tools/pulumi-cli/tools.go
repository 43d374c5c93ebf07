//go:build tools

// Package tools pins the Pulumi CLI so scripts/pulumi-cli.sh can build it
// from Go modules (the `pulumi` npm package downloads a binary at install
// time, which is not possible in every environment).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
