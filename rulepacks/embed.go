// Package rulepacks holds the rules bundled into the loghunt binary.
//
// FS contains sigma/*.yml (Sigma detection rules) and kql/*.yaml (KQL
// queries in the Sentinel hunting-query YAML shape). The binary needs no
// files beside it: everything here is embedded at build time.
package rulepacks

import "embed"

// FS is the embedded rule tree. Paths are "sigma/..." and "kql/...".
//
//go:embed sigma kql
var FS embed.FS
