package evtx

import (
	"sort"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// channelKey folds the differences between two spellings of one channel
// name: case, spaces, hyphens and underscores.
func channelKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// TestCorpusChannelSpelling reads the System/Channel of every corpus
// record and checks that each channel of winevent.Channels found there is
// spelled exactly as Windows wrote it ("Security-Mitigations/KernelMode",
// not "Kernel Mode"), and that the table's key channels were found.
func TestCorpusChannelSpelling(t *testing.T) {
	seen := map[string]int{}
	for _, p := range corpusFiles(t) {
		_, err := ReadFile(p, Options{Fields: []string{"Channel"}}, func(e *parsers.Event) error {
			if e.Channel != "" {
				seen[strings.Clone(e.Channel)]++
			}
			return nil
		}, nil)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	byKey := map[string][]string{}
	for c := range seen {
		byKey[channelKey(c)] = append(byKey[channelKey(c)], c)
	}
	found := 0
	for _, c := range winevent.Channels {
		written := byKey[channelKey(c.Name)]
		if len(written) == 0 {
			continue
		}
		found++
		sort.Strings(written)
		for _, w := range written {
			if w != c.Name {
				t.Errorf("channel %q is written %q in the corpus (%d records)", c.Name, w, seen[w])
			}
		}
	}
	for _, c := range []string{winevent.Security, winevent.Sysmon, winevent.PowerShell, winevent.WindowsPowerShell, winevent.Defender, "System", "OpenSSH/Operational"} {
		if seen[c] == 0 {
			t.Errorf("no corpus record of channel %q", c)
		}
	}
	t.Logf("%d distinct channels in the corpus, %d of the table's %d channels among them", len(seen), found, len(winevent.Channels))
}
