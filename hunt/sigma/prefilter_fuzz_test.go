package sigma

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// fuzzRulesets loads the rules under testdata twice: with the prefilter
// and, as the oracle, with every routed rule evaluated in full.
var fuzzRulesets = sync.OnceValues(func() (*Ruleset, *Ruleset) {
	load := func() *Ruleset {
		l := NewLoader(LoadOptions{})
		l.AddPath(filepath.Join("testdata", "prefilter"))
		l.AddPath(filepath.Join("testdata", "rules"))
		rs, rep := l.Compile()
		if len(rep.Failed) > 0 {
			panic(fmt.Sprintf("testdata rules do not load: %v", rep.Failed))
		}
		return rs
	}
	fast, slow := load(), load()
	slow.noPrefilter = true
	return fast, slow
})

var fuzzChannels = []string{sysmonCh, "Security", "", "Application"}

// fuzzEvent builds an event of the given channel and event ID from lines
// "Name=Value" (a line without '=' is a CommandLine value; repeated names
// make arrays).
func fuzzEvent(ch uint8, id uint16, lines string) *parsers.Event {
	e := &parsers.Event{Channel: fuzzChannels[int(ch)%len(fuzzChannels)], EventID: uint32(id)}
	e.Fields = append(e.Fields, parsers.Field{Name: "EventID", Value: strconv.Itoa(int(id))})
	for _, l := range strings.Split(lines, "\n") {
		name, value, ok := strings.Cut(l, "=")
		if !ok {
			name, value = "CommandLine", l
		}
		e.Fields = append(e.Fields, parsers.Field{Name: name, Value: value})
	}
	return e
}

// FuzzPrefilterDifferential checks the optimized matcher (prefilter,
// pattern gates, byte masks, regexp fast forms) against plain evaluation
// of every routed rule on generated events: the matches, their order and
// their explanations must be the same. The rules under testdata/prefilter
// exercise each of those paths; the seeds are events made of the values
// those rules name.
func FuzzPrefilterDifferential(f *testing.F) {
	quoted := regexp.MustCompile(`'([^']*)'`)
	var vals []string
	for _, dir := range []string{"prefilter", "rules"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			for _, m := range quoted.FindAllStringSubmatch(string(b), -1) {
				vals = append(vals, m[1])
			}
		}
	}
	if len(vals) == 0 {
		f.Fatal("no rule values under testdata")
	}
	procFields := "Image=C:\\Windows\\System32\\cmd.exe\nOriginalFileName=Cmd.Exe\nParentCommandLine=xabbcdx\nUser=NT AUTHORITY\\SYSTEM\nIntegrityLevel=System\n"
	secFields := "NewProcessName=C:\\Windows\\System32\\cmd.exe\nSubjectDomainName=NT AUTHORITY\nSubjectUserName=SYSTEM\nMandatoryLabel=S-1-16-16384\nLogonType=3\nWorkstationName=AbCd1234\nWorkstation=WIN-X$\n"
	type seed struct {
		ch    uint8
		id    uint16
		lines string
	}
	var seeds []seed
	for i, v := range vals {
		seeds = append(seeds,
			seed{0, 1, procFields + "CommandLine=" + v},
			seed{1, 4688, secFields + "CommandLine=" + strings.ToUpper(v)},
			seed{uint8(1 + i%3), uint16(4624 + i%3), secFields + v + " " + vals[(i+1)%len(vals)]})
	}
	seeds = append(seeds,
		seed{0, 15, "CommandLine=sekurlsa::logonpasswords"},
		seed{0, 3, "Initiated=true\nDestinationHostname=x.AzureWebsites.net\nImage=C:\\evil.exe"},
		seed{0, 1, "Image=C:\\x\\evil\nCommandLine=a+b+c"},
		seed{1, 4776, "Workstation=WIN-ABC$\nCommandLine=iex (x).DownloadString('http://e')"},
		seed{0, 1, "CommandLine=powershell -e aAB0AHQAcAA6AC8ALwBl\nCommandLine=\u212aK ſ é"})
	// Every rule must fire on some seed, or the fuzzer would start from
	// events that prove nothing about it.
	_, slow := fuzzRulesets()
	fired := map[string]bool{}
	for _, sd := range seeds {
		f.Add(sd.ch, sd.id, sd.lines)
		slow.Match(fuzzEvent(sd.ch, sd.id, sd.lines), func(m *Match) { fired[m.Rule.ID] = true })
	}
	for _, r := range slow.Rules() {
		if !fired[r.ID] {
			f.Errorf("rule %s (%s) fires on no seed", r.ID, r.Path)
		}
	}

	f.Fuzz(func(t *testing.T, ch uint8, id uint16, lines string) {
		fast, slow := fuzzRulesets()
		ev := fuzzEvent(ch, id, lines)
		got, want := matchTrace(fast, ev), matchTrace(slow, ev)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("channel %q, event %d, fields %q: prefilter changed the matches\n got: %q\nwant: %q", ev.Channel, ev.EventID, ev.Fields, got, want)
		}
	})
}
