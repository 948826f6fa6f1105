// Command samplegen writes the EVTX twin of each samples/*.jsonl file,
// deterministically: the same JSON Lines give the same bytes. Run it with
// "go generate ./internal/samplegen".
//
// Each JSON event becomes a record as Windows would write it: a System
// block in the Windows order (Provider, EventID, Level, TimeCreated,
// EventRecordID, Channel in its canonical spelling, Computer), then every
// other field of the line, in order, as <Data Name="...">. The sample
// notes (_sample_note) stay, as EventData, so that both twins hold the
// same text.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
	pjson "github.com/loghunt/loghunt/parsers/json"
)

func main() {
	dir := flag.String("dir", "samples", "folder of the *.jsonl samples; the .evtx files are written beside them")
	flag.Parse()
	written, err := build(*dir, *dir)
	for _, p := range written {
		fmt.Println("wrote", p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "samplegen:", err)
		os.Exit(1)
	}
}

// build writes dst/<name>.evtx for each src/<name>.jsonl and returns the
// paths written.
func build(src, dst string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(src, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var written []string
	for _, f := range files {
		out := filepath.Join(dst, strings.TrimSuffix(filepath.Base(f), ".jsonl")+".evtx")
		if err := convert(f, out); err != nil {
			return written, err
		}
		written = append(written, out)
	}
	return written, nil
}

// convert writes the events of the JSON Lines file in as the EVTX file out.
func convert(in, out string) error {
	evs, err := readJSON(in)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	w, err := evtxwrite.New(f, evtxwrite.Options{})
	if err != nil {
		f.Close()
		return err
	}
	for i, ev := range evs {
		if err := w.Write(evtxShaped(ev)); err != nil {
			f.Close()
			return fmt.Errorf("%s line %d: %w", in, i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func readJSON(path string) ([]*parsers.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var evs []*parsers.Event
	var bad error
	_, err = pjson.NewUnit(f, path, pjson.Options{}).Decode(func(e *parsers.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}, func(pe *parsers.ParseError) { bad = pe })
	if err == nil {
		err = bad // a sample must be valid JSON throughout
	}
	return evs, err
}

// systemFields are the fields evtxShaped moves into System.
var systemFields = map[string]bool{
	"TimeCreated": true, "TimeCreated_SystemTime": true, "Channel": true, "Provider_Name": true,
	"EventID": true, "EventRecordID": true, "Computer": true, "Level": true,
}

// evtxShaped returns ev with its fields in the decoder's shape: the
// System fields first, in the Windows order, then the others.
func evtxShaped(ev *parsers.Event) *parsers.Event {
	out := &parsers.Event{Time: ev.Time, RecordID: ev.RecordID, EventID: ev.EventID, Channel: ev.Channel,
		Provider: ev.Provider, Computer: ev.Computer, Level: ev.Level}
	if ev.Provider != "" {
		out.Add("Provider_Name", ev.Provider)
	}
	out.Add("EventID", strconv.FormatUint(uint64(ev.EventID), 10))
	if v, ok := ev.Get("Level"); ok {
		out.Add("Level", v)
	}
	if !ev.Time.IsZero() {
		out.Add("TimeCreated_SystemTime", ev.Time.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	}
	if ev.RecordID != 0 {
		out.Add("EventRecordID", strconv.FormatUint(ev.RecordID, 10))
	}
	if ev.Channel != "" {
		out.Add("Channel", ev.Channel)
	}
	if ev.Computer != "" {
		out.Add("Computer", ev.Computer)
	}
	for _, f := range ev.Fields {
		if !systemFields[f.Name] {
			out.Add(f.Name, f.Value)
		}
	}
	return out
}
