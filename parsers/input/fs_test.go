package input

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// fsFixture is a tree with every kind of file Discover tells apart.
func fsFixture(t *testing.T) fstest.MapFS {
	t.Helper()
	evtx, err := os.ReadFile(filepath.Join("..", "evtx", "testdata", "security_chunk0.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{
		"Security.evtx":             {Data: evtx},
		"logs/app.jsonl":            {Data: []byte(jsonLine + jsonLine)},
		"logs/deep/er/array.txt":    {Data: []byte("\n\t[ {\"EventID\": 4} ]")},
		"logs/deep/er/notes.txt":    {Data: []byte("hello, not a log\n")},
		"logs/deep/empty.json":      {Data: nil},
		"logs/deep/Sysmon.log":      {Data: evtx[:len(evtx)/2]}, // type by content
		"archive/b.zip":             {Data: zipBytes(t, member{"x/one.json", []byte(jsonLine)}, member{"readme.md", []byte("# readme")})},
		"archive/c.gz":              {Data: gzBytes(t, "inner.evtx", evtx)},
		"archive/utf16.json":        {Data: utf16Bytes("[{\"a\": \"\u00e9\"}]", false, true)},
		"z/emptydir/.keep.unknown":  {Data: []byte{0}},
		"z/zz/last.json":            {Data: []byte(jsonLine)},
		"z/zz/nothing/unknown.bin":  {Data: []byte{1, 2, 3}},
		"z/zz/nothing/unknown2.bin": {Data: []byte{4}},
	}
}

// writeTree writes fsys to a directory on disk.
func writeTree(t *testing.T, fsys fstest.MapFS, root string) {
	t.Helper()
	for name, f := range fsys {
		write(t, filepath.Join(root, filepath.FromSlash(name)), f.Data)
	}
}

// summary renders a Result with paths relative to their root, and reads
// every file back.
func summary(t *testing.T, res *Result, trim func(string) string) (string, map[string]string) {
	t.Helper()
	var b strings.Builder
	data := map[string]string{}
	for _, f := range res.Files {
		p := trim(f.Path)
		b.WriteString("file " + f.Kind.String() + " " + p + "\n")
		got, c, err := readAll(t, f)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if f.Kind == KindEVTX && c.ReaderAt == nil {
			t.Errorf("%s: EVTX without random access", f.Path)
		}
		data[p] = string(got)
	}
	for _, s := range res.Skipped {
		reason := s.Reason
		// An I/O error names the path, which differs; the cause does not.
		if strings.Contains(reason, ": ") && !errors.Is(s.Err, ErrUnknownType) {
			reason = reason[strings.LastIndex(reason, ": ")+2:]
		}
		b.WriteString("skip " + trim(s.Path) + ": " + reason + "\n")
	}
	return b.String(), data
}

// TestDiscoverFSMatchesDisk discovers the same tree in a MapFS and on
// disk: the same files, in the same order, with the same content and the
// same skipped entries.
func TestDiscoverFSMatchesDisk(t *testing.T) {
	fsys := fsFixture(t)
	root := t.TempDir()
	writeTree(t, fsys, root)

	disk, err := Discover([]string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantSum, wantData := summary(t, disk, func(p string) string {
		return filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
	})
	mem, err := DiscoverFS(fsys, "mem", Options{})
	if err != nil {
		t.Fatal(err)
	}
	gotSum, gotData := summary(t, mem, func(p string) string {
		if !strings.HasPrefix(p, "mem!") {
			t.Errorf("%s: not named after the label", p)
		}
		return strings.TrimPrefix(p, "mem!")
	})
	if gotSum != wantSum {
		t.Errorf("DiscoverFS:\n%s\nDiscover on disk:\n%s", gotSum, wantSum)
	}
	for p, want := range wantData {
		if gotData[p] != want {
			t.Errorf("%s: content differs (%d bytes, want %d)", p, len(gotData[p]), len(want))
		}
	}
	for _, want := range []string{
		"file evtx Security.evtx",
		"file evtx archive/c.gz!inner.evtx",
		"file json archive/b.zip!x/one.json",
		"file json archive/utf16.json",
		"file evtx logs/deep/Sysmon.log",
		"file json logs/deep/er/array.txt",
		"file json z/zz/last.json",
		"skip logs/deep/empty.json: empty file",
		"skip logs/deep/er/notes.txt: " + ErrUnknownType.Error(),
	} {
		if !strings.Contains(gotSum, want+"\n") {
			t.Errorf("missing %q in\n%s", want, gotSum)
		}
	}

	// No label: paths in fsys.
	res, err := DiscoverFS(fsys, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files[0].Path != "Security.evtx" || res.Files[1].Path != "archive/b.zip!x/one.json" {
		t.Errorf("unlabelled paths %s, %s", res.Files[0].Path, res.Files[1].Path)
	}
}

// noReaderAt hides the io.ReaderAt of the files of an FS.
type noReaderAt struct{ fs.FS }

type streamFile struct{ fs.File }

func (n noReaderAt) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if _, ok := f.(fs.ReadDirFile); ok {
		return f, nil
	}
	return streamFile{f}, nil
}

// TestDiscoverFSWithoutRandomAccess: an EVTX file of an FS without
// io.ReaderAt is spooled (in memory, or to a temporary file past
// MaxInMemory, never past MaxDecompressed); JSON is streamed.
func TestDiscoverFSWithoutRandomAccess(t *testing.T) {
	fsys := fsFixture(t)
	evtx := fsys["Security.evtx"].Data
	tmp := t.TempDir()
	for _, tt := range []struct {
		name    string
		opts    Options
		wantErr error
	}{
		{"in memory", Options{}, nil},
		{"temporary file", Options{MaxInMemory: 1024, TempDir: tmp}, nil},
		{"too large", Options{MaxInMemory: 1024, MaxDecompressed: 4096, TempDir: tmp}, ErrTooLarge},
		{"too large in memory", Options{MaxDecompressed: 4096, TempDir: tmp}, ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := DiscoverFS(noReaderAt{fsys}, "s", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var sec, app *File
			for i, f := range res.Files {
				switch f.Path {
				case "s!Security.evtx":
					sec = &res.Files[i]
				case "s!logs/app.jsonl":
					app = &res.Files[i]
				}
			}
			if sec == nil || app == nil {
				t.Fatalf("files %v", res.Files)
			}
			c, err := sec.Open()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open: %v, want %v", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 8)
				if c.ReaderAt == nil || c.Size != int64(len(evtx)) {
					t.Fatalf("ReaderAt %v, Size %d", c.ReaderAt, c.Size)
				}
				if _, err := c.ReadAt(buf, c.Size-8); err != nil || !bytes.Equal(buf, evtx[len(evtx)-8:]) {
					t.Errorf("ReadAt = %x, %v", buf, err)
				}
				c.Close()
			}
			c, err = app.Open()
			if err != nil {
				t.Fatal(err)
			}
			if c.ReaderAt != nil || c.Size != -1 {
				t.Errorf("JSON stream: ReaderAt %v, Size %d", c.ReaderAt, c.Size)
			}
			data, _ := io.ReadAll(c)
			c.Close()
			if string(data) != jsonLine+jsonLine {
				t.Errorf("JSON read %q", data)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("temporary files left: %v", ents)
			}
		})
	}
}

// brokenFS fails to open or stat some names.
type brokenFS struct {
	fs.FS
	bad string
}

func (b brokenFS) Open(name string) (fs.File, error) {
	if name == b.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return b.FS.Open(name)
}

func TestDiscoverFSErrorsAndLinks(t *testing.T) {
	fsys := fstest.MapFS{
		"a/ok.json":     {Data: []byte(jsonLine)},
		"a/locked.json": {Data: []byte(jsonLine)},
		"a/link.json":   {Data: []byte("ok.json"), Mode: fs.ModeSymlink},
		"b/in.json":     {Data: []byte(jsonLine)},
	}
	res, err := DiscoverFS(brokenFS{fsys, "a/locked.json"}, "img", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || res.Files[0].Path != "img!a/ok.json" || res.Files[1].Path != "img!b/in.json" {
		t.Errorf("files %v", res.Files)
	}
	want := []string{
		"img!a/link.json: not a regular file (L---------)",
		"open img!a/locked.json: permission denied",
	}
	var got []string
	for _, s := range res.Skipped {
		got = append(got, s.Path+": "+s.Reason)
		if strings.Contains(s.Path, "locked") && !errors.Is(s.Err, fs.ErrPermission) {
			t.Errorf("%s: %v does not wrap fs.ErrPermission", s.Path, s.Err)
		}
	}
	got[1] = strings.TrimPrefix(got[1], "img!a/locked.json: ")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A root that is a file, or missing.
	res, _ = DiscoverFS(fstest.MapFS{".": {Data: []byte("x")}}, "f", Options{})
	if len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, ErrNotRegular) {
		t.Errorf("file root: %v", res.Skipped)
	}
	res, _ = DiscoverFS(brokenFS{fstest.MapFS{}, "."}, "gone", Options{})
	if len(res.Skipped) != 1 || res.Skipped[0].Path != "gone" || !errors.Is(res.Skipped[0].Err, fs.ErrPermission) {
		t.Errorf("unreadable root: %v", res.Skipped)
	}
	if _, err := DiscoverFS(fsys, "", Options{MaxNesting: -1}); err == nil {
		t.Error("bad options accepted")
	}
}
