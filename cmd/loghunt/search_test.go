package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
)

// refObserver decides, for every event of a run, whether a search should
// match it, by a simpler road than hunt/search: lower-cased copies and
// strings.Contains for keywords, a regexp over each value for the others,
// no prefilter. It records where each event it keeps came from.
type refObserver struct {
	keep func(values []string, ev *parsers.Event) bool
	mu   sync.Mutex
	got  []string
}

func (o *refObserver) Worker() func(*parsers.Event) {
	return func(ev *parsers.Event) {
		var vals []string
		for _, f := range ev.Fields {
			vals = append(vals, f.Value)
		}
		vals = append(vals, ev.Computer, ev.Channel, ev.Provider)
		if o.keep(vals, ev) {
			o.mu.Lock()
			o.got = append(o.got, ev.Source.String())
			o.mu.Unlock()
		}
	}
}

func anyValue(vals []string, f func(string) bool) bool {
	return slices.ContainsFunc(vals, f)
}

// TestSearchCorpusAgainstReference runs loghunt search over the EVTX
// corpus and checks that it finds exactly the events the reference finds,
// and the same output on one thread and on two.
func TestSearchCorpusAgainstReference(t *testing.T) {
	corpus := testshared.Dir(t, "corpora", "evtx")
	lower := strings.ToLower
	dottedQuad := regexp.MustCompile(`(?i)\d+\.\d+\.\d+\.\d+`)
	sekurlsa := regexp.MustCompile(`(?i)sekurlsa|lsass\.dmp`)
	imagePS := regexp.MustCompile(`(?is)^.*\\powershell\.exe$`)
	for _, tt := range []struct {
		args []string
		keep func(vals []string, ev *parsers.Event) bool
	}{
		{[]string{"-k", "mimikatz"}, func(vals []string, _ *parsers.Event) bool {
			return anyValue(vals, func(v string) bool { return strings.Contains(lower(v), "mimikatz") })
		}},
		{[]string{"-k", "Mimikatz", "--case-sensitive"}, func(vals []string, _ *parsers.Event) bool {
			return anyValue(vals, func(v string) bool { return strings.Contains(v, "Mimikatz") })
		}},
		{[]string{"-k", "POWERSHELL", "-k", "bypass"}, func(vals []string, _ *parsers.Event) bool {
			return anyValue(vals, func(v string) bool { return strings.Contains(lower(v), "powershell") }) &&
				anyValue(vals, func(v string) bool { return strings.Contains(lower(v), "bypass") })
		}},
		{[]string{"--any", "-k", "psexec", "-k", "lsass", "-k", "WMIC"}, func(vals []string, _ *parsers.Event) bool {
			return anyValue(vals, func(v string) bool {
				l := lower(v)
				return strings.Contains(l, "psexec") || strings.Contains(l, "lsass") || strings.Contains(l, "wmic")
			})
		}},
		{[]string{"-e", `sekurlsa|lsass\.dmp`}, func(vals []string, _ *parsers.Event) bool {
			return anyValue(vals, sekurlsa.MatchString)
		}},
		{[]string{"-e", `\d+\.\d+\.\d+\.\d+`, "--event-id", "3,5156"}, func(vals []string, ev *parsers.Event) bool {
			return (ev.EventID == 3 || ev.EventID == 5156) && anyValue(vals, dottedQuad.MatchString)
		}},
		{[]string{"--field", `image=*\POWERSHELL.EXE`, "--channel", "sysmon"}, func(_ []string, ev *parsers.Event) bool {
			if !strings.EqualFold(ev.Channel, "Microsoft-Windows-Sysmon/Operational") {
				return false
			}
			for _, f := range ev.Fields {
				if strings.EqualFold(f.Name, "Image") && imagePS.MatchString(f.Value) {
					return true
				}
			}
			return false
		}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ref := &refObserver{keep: tt.keep}
			ins, _, err := app.Discover([]string{corpus}, app.DiscoverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := hunt.Run(context.Background(), ins, hunt.Options{Observers: []hunt.Observer{ref}}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(ref.got)

			var outs [2]string
			for i, threads := range []string{"1", "2"} {
				args := append([]string{"search", "-q", "--format", "jsonl", "--threads", threads}, tt.args...)
				code, stdout, stderr := runCLI(t, append(args, corpus)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				outs[i] = stdout
			}
			if outs[0] != outs[1] {
				t.Error("the output on one thread differs from the output on two")
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(outs[0]), "\n") {
				if line == "" {
					continue
				}
				var h struct {
					Source struct {
						Path   string
						Offset int64
					}
				}
				if err := json.Unmarshal([]byte(line), &h); err != nil {
					t.Fatal(err)
				}
				got = append(got, parsers.Source{Path: h.Source.Path, Offset: h.Source.Offset}.String())
			}
			slices.Sort(got)
			if len(ref.got) == 0 {
				t.Fatalf("the reference finds no event: the case tests nothing")
			}
			if !slices.Equal(got, ref.got) {
				t.Errorf("search found %d events, the reference %d; first differences: %v", len(got), len(ref.got), sourceDiff(got, ref.got))
			}
			t.Logf("%d events", len(got))
		})
	}
}

func sourceDiff(a, b []string) string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok && len(out) < 5 {
			out = append(out, "only search: "+x)
		}
	}
	for _, x := range b {
		if _, ok := slices.BinarySearch(a, x); !ok && len(out) < 10 {
			out = append(out, "only reference: "+x)
		}
	}
	return fmt.Sprint(out)
}
