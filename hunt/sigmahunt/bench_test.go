package sigmahunt

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/rulepacks"
)

// synthUnit emits n Sysmon-1-shaped events, one in 50 a Judgement Panda hit.
type synthUnit struct{ n int }

func (u synthUnit) Decode(emit parsers.EmitFunc, _ parsers.ReportFunc) (parsers.Stats, error) {
	ev := &parsers.Event{}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < u.n; i++ {
		cmd := fmt.Sprintf(`C:\Windows\System32\cmd.exe /c echo %d`, i)
		if i%50 == 0 {
			cmd = `C:\Users\Public\7za.exe a 1.7z C:\stage`
		}
		*ev = parsers.Event{Time: base.Add(time.Duration(i) * time.Millisecond), Channel: "Microsoft-Windows-Sysmon/Operational",
			Provider: "Microsoft-Windows-Sysmon", EventID: 1, RecordID: uint64(i + 1), Computer: "WS1",
			Source: parsers.Source{Path: "synth", Offset: int64(i)}, Fields: ev.Fields[:0]}
		ev.Add("EventID", "1")
		ev.Add("Channel", "Microsoft-Windows-Sysmon/Operational")
		ev.Add("Image", `C:\Windows\System32\cmd.exe`)
		ev.Add("CommandLine", cmd)
		ev.Add("ParentImage", `C:\Windows\explorer.exe`)
		ev.Add("User", `CORP\jdoe`)
		if err := emit(ev); err != nil {
			return parsers.Stats{}, err
		}
	}
	return parsers.Stats{Records: int64(u.n)}, nil
}

// BenchmarkRunBundledSigma measures the engine end to end (worker pool,
// bundled Sigma rules, hit collection and sorting in a SortingSink) on
// synthetic events; decoding is not included. Run with -cpu 1 for one core.
func BenchmarkRunBundledSigma(b *testing.B) {
	files, _ := rules.Find(rulepacks.FS, "sigma", rules.BundledPrefix, 0)
	se := New(files, Options{})
	const perUnit, units = 10000, 8
	ins := []hunt.Input{{Path: "synth", Size: 1, Open: func() ([]parsers.Unit, func() error, error) {
		us := make([]parsers.Unit, units)
		for i := range us {
			us[i] = synthUnit{perUnit}
		}
		return us, nil, nil
	}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := hunt.Run(context.Background(), ins, hunt.Options{Matchers: []hunt.Matcher{se}, Sink: hunt.NewSortingSink(nil)})
		if err != nil || res.Counts.Hits != units*perUnit/50 {
			b.Fatalf("hits %d, err %v", res.Counts.Hits, err)
		}
	}
	b.ReportMetric(float64(b.N*units*perUnit)/b.Elapsed().Seconds(), "events/s")
}
