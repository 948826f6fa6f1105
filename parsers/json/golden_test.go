package json

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// TestGolden compares the normalized events of every fixture with
// testdata/golden/<fixture>.golden. Run with -update to regenerate, then
// review the diff.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			evs, errs, st := decodeFile(t, name, Options{})
			var b strings.Builder
			for _, e := range evs {
				fmt.Fprintf(&b, "event %s time=%s id=%d channel=%q provider=%q computer=%q record=%d level=%d\n",
					e.Source, e.Time.Format(time.RFC3339Nano), e.EventID, e.Channel, e.Provider, e.Computer, e.RecordID, e.Level)
				for _, fl := range e.Fields {
					fmt.Fprintf(&b, "  %s = %q\n", fl.Name, fl.Value)
				}
			}
			for _, e := range errs {
				fmt.Fprintf(&b, "report %v\n", e)
			}
			fmt.Fprintf(&b, "stats %+v\n", st)
			golden := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", golden, i+1, g, w)
					}
				}
			}
		})
	}
}
