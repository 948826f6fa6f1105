package evtxwrite_test

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtxwrite"
)

// discard is an io.WriteSeeker that keeps nothing and counts the bytes.
type discard struct{ pos, end int64 }

func (d *discard) Write(p []byte) (int, error) {
	d.pos += int64(len(p))
	d.end = max(d.end, d.pos)
	return len(p), nil
}

func (d *discard) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		d.pos = off
	case io.SeekCurrent:
		d.pos += off
	case io.SeekEnd:
		d.pos = d.end + off
	}
	return d.pos, nil
}

// sysmonEvent returns a Sysmon process creation event with values that
// vary with i.
func sysmonEvent(i int) *parsers.Event {
	ev := &parsers.Event{
		Time:     time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1234567 * time.Nanosecond),
		RecordID: uint64(1000 + i),
	}
	pid := strconv.Itoa(4000 + i%3000)
	for _, f := range [][2]string{
		{"Provider_Name", "Microsoft-Windows-Sysmon"}, {"Provider_Guid", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"},
		{"EventID", "1"}, {"Version", "5"}, {"Level", "4"}, {"Task", "1"}, {"Opcode", "0"},
		{"Keywords", "0x8000000000000000"}, {"TimeCreated_SystemTime", ev.Time.Format("2006-01-02T15:04:05.0000000Z")},
		{"EventRecordID", strconv.Itoa(1000 + i)}, {"ProcessID", "2348"}, {"ThreadID", "3532"},
		{"Channel", "Microsoft-Windows-Sysmon/Operational"}, {"Computer", "WS-FIN-07.corp.example.com"},
		{"Security_UserID", "S-1-5-18"},
		{"RuleName", "-"}, {"UtcTime", ev.Time.Format("2006-01-02 15:04:05.000")},
		{"ProcessGuid", "{C38084A0-3D93-5E4C-0000-0010" + strconv.FormatInt(int64(100000000000+i), 10)[:12] + "}"},
		{"ProcessId", pid}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"FileVersion", "10.0.19041.1 (WinBuild.160101.0800)"},
		{"Description", "Windows Command Processor"}, {"Product", "Microsoft® Windows® Operating System"},
		{"Company", "Microsoft Corporation"}, {"OriginalFileName", "Cmd.Exe"},
		{"CommandLine", "cmd.exe /c whoami /all " + pid}, {"CurrentDirectory", "C:\\Users\\jdoe\\"},
		{"User", "CORP\\jdoe"}, {"LogonGuid", "{C38084A0-3D90-5E4C-0000-002065D30400}"}, {"LogonId", "0x4d365"},
		{"TerminalSessionId", "1"}, {"IntegrityLevel", "Medium"},
		{"Hashes", "SHA1=99AE9C73E9BEE6F9C76D6F4093A9882DF06832CF,MD5=A6177D080759CD4A03F2ED1C6EB28C59"},
		{"ParentProcessGuid", "{C38084A0-3D90-5E4C-0000-0010E6D20400}"}, {"ParentProcessId", "5000"},
		{"ParentImage", "C:\\Windows\\explorer.exe"}, {"ParentCommandLine", "C:\\Windows\\Explorer.EXE"},
	} {
		ev.Add(f[0], f[1])
	}
	return ev
}

// BenchmarkWrite measures the writer's throughput in bytes of EVTX
// written (Sysmon process creations, typed values).
func BenchmarkWrite(b *testing.B) {
	evs := make([]*parsers.Event, 512)
	for i := range evs {
		evs[i] = sysmonEvent(i)
	}
	b.ReportAllocs()
	var d discard
	w, err := evtxwrite.New(&d, evtxwrite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := d.pos
	for i := 0; b.Loop(); i++ {
		if err := w.Write(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
		if w.Chunks() > 60000 {
			b.StopTimer()
			w.Close()
			w, _ = evtxwrite.New(&d, evtxwrite.Options{})
			b.StartTimer()
		}
	}
	w.Close()
	b.ReportMetric(float64(d.pos-start)/b.Elapsed().Seconds()/1e6, "MB/s")
}
