package main

import (
	"flag"
	"os"
	"runtime/debug"

	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/budget"
	"github.com/loghunt/loghunt/hunt/output"
)

// memoryFlag is --max-memory: a size with a unit, 0 for no limit.
type memoryFlag struct {
	bytes int64
	set   bool // given on the command line
}

func (m *memoryFlag) String() string {
	if m == nil {
		return ""
	}
	if m.bytes == 0 {
		return "0"
	}
	return budget.FormatSize(m.bytes)
}

func (m *memoryFlag) Set(s string) error {
	n, err := budget.ParseSize(s)
	if err != nil {
		return err
	}
	m.bytes, m.set = n, true
	return nil
}

func (f *huntFlags) registerMemory(fs *flag.FlagSet) {
	f.maxMemory = memoryFlag{bytes: budget.Default}
	fs.Var(&f.maxMemory, "max-memory", "memory `budget` for the hits waiting to be sorted (they spill to a temporary file past it), KQL tables and correlations, e.g. 1GiB; also the Go heap's soft limit; 0 for none")
}

// memoryConfig sets the run's budget and what the output needs of each
// hit.
func (f *huntFlags) memoryConfig(cfg *app.Config, format output.Format) {
	if f.maxMemory.bytes > 0 {
		cfg.Budget = budget.New(f.maxMemory.bytes)
	}
	cfg.KeepField = output.KeepField(format)
}

// minGCLimit is the least soft limit --max-memory sets on the Go heap: a
// tiny budget spills the hits, it must not make the collector run without
// end.
const minGCLimit = 64 << 20

// setMemoryLimit sets the Go heap's soft limit from --max-memory, so that
// the heap stops doubling as it nears the budget, unless GOMEMLIMIT sets
// one and --max-memory is not given. It returns the function that puts
// the old limit back.
func (f *huntFlags) setMemoryLimit() func() {
	if f.maxMemory.bytes <= 0 || (!f.maxMemory.set && os.Getenv("GOMEMLIMIT") != "") {
		return func() {}
	}
	old := debug.SetMemoryLimit(max(f.maxMemory.bytes, minGCLimit))
	return func() { debug.SetMemoryLimit(old) }
}

// memoryUse is the summary's account of the run's memory.
func memoryUse(p *app.Plan) *output.MemoryUse {
	m := p.Memory()
	if p.Config.Budget == nil {
		return nil
	}
	u := &output.MemoryUse{LimitBytes: m.Limit, PeakBytes: m.Peak, SpillRuns: m.Spill.Runs, SpilledBytes: m.Spill.SpilledBytes}
	for _, a := range m.Accounts {
		u.Accounts = append(u.Accounts, output.AccountUse{Name: a.Name, PeakBytes: a.Peak})
	}
	return u
}
