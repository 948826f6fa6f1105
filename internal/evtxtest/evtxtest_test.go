package evtxtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

func sample(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2024, 5, 1, 10, 10, 0, 123456700, time.UTC)
	b, err := Write([]Record{
		{Written: at, Event: Event("Provider-A", "Application", "WS01", 1000, 41, at, Attr{"Alpha", "one"}, Attr{"Two Words", "zwei"})},
		{Written: at.Add(time.Second), Event: Event("Provider-B", "System", "WS02", 7045, 42, at.Add(time.Second), Attr{"ServiceName", "svc"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodes: our decoder reads the file without a warning, with the
// values written.
func TestDecodes(t *testing.T) {
	b := sample(t)
	if len(b) != 4096+65536 {
		t.Fatalf("file of %d bytes", len(b))
	}
	f, err := evtx.Open(bytes.NewReader(b), int64(len(b)), "t.evtx", evtx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.Warnings(); len(w) > 0 {
		t.Fatalf("warnings: %v", w)
	}
	var evs []*parsers.Event
	for _, u := range f.Units() {
		_, err := u.Decode(func(e *parsers.Event) error { evs = append(evs, e.Clone()); return nil },
			func(pe *parsers.ParseError) { t.Errorf("record error: %v", pe) })
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.EventID != 1000 || e.Channel != "Application" || e.Computer != "WS01" || e.Provider != "Provider-A" || e.RecordID != 41 || e.Flags != 0 {
		t.Errorf("core fields: %+v", e)
	}
	if want := time.Date(2024, 5, 1, 10, 10, 0, 123456700, time.UTC); !e.Time.Equal(want) {
		t.Errorf("time %v, want %v", e.Time, want)
	}
	for name, want := range map[string]string{"Alpha": "one", "Two Words": "zwei"} {
		if v, _ := e.Get(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	if v, _ := evs[1].Get("ServiceName"); v != "svc" || evs[1].EventID != 7045 {
		t.Errorf("second record: %+v", evs[1])
	}
}

// TestEvtxexport checks the file with libevtx's evtxexport, an
// independent reader, when it is installed: no error, both records.
func TestEvtxexport(t *testing.T) {
	bin, err := exec.LookPath("evtxexport")
	if err != nil {
		t.Skip("evtxexport not installed")
	}
	p := filepath.Join(t.TempDir(), "t.evtx")
	if err := os.WriteFile(p, sample(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-f", "xml", p).CombinedOutput()
	if err != nil {
		t.Fatalf("evtxexport: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{`<Data Name="Two Words">zwei</Data>`, `<EventID>7045</EventID>`, `<Computer>WS02</Computer>`} {
		if !strings.Contains(s, want) {
			t.Errorf("evtxexport output lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(strings.ToLower(s), "error") || strings.Contains(strings.ToLower(s), "corrupt") {
		t.Errorf("evtxexport reports a problem:\n%s", s)
	}
}

// FuzzRoundTrip writes a record with fuzzed names and values and checks
// that the decoder reads the value back under its name.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Threat Name", "HackTool:Win32/Mimikatz", "Computer-1")
	f.Add("x", "", "é\u00fc")
	f.Fuzz(func(t *testing.T, name, value, computer string) {
		if name == "" || !utf8ok(name, value, computer) || len(name)+len(value)+len(computer) > 4096 {
			return
		}
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		b, err := Write([]Record{{Written: at, Event: Event("P", "Application", computer, 1, 1, at, Attr{name, value})}})
		if err != nil {
			t.Fatal(err)
		}
		var got []*parsers.Event
		if _, err := evtx.ReadFile(writeTemp(t, b), evtx.Options{}, func(e *parsers.Event) error { got = append(got, e.Clone()); return nil },
			func(pe *parsers.ParseError) { t.Fatalf("record: %v", pe) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d events", len(got))
		}
		// A fuzzed name may also be a System value's (EventID): look
		// among every value of the name.
		if vs := got[0].Values(nil, name); !slices.Contains(vs, value) {
			t.Fatalf("%q = %q; want %q among them", name, vs, value)
		}
	})
}

func utf8ok(ss ...string) bool {
	for _, s := range ss {
		for _, r := range s {
			if r == 0xfffd || r == 0 || r < 0x20 {
				return false
			}
		}
	}
	return true
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "f.evtx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
