package main

// The EVTX samples are regenerated with "go generate ./internal/samplegen"
// (the directive lives here, not in samples/, so that samples/ holds only
// logs and "loghunt hunt samples/" skips nothing).

//go:generate go run . -dir ../../samples
