package input

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
)

// evtxBytes is not a valid EVTX file, only its magic and some bytes:
// Discover only sniffs.
var evtxBytes = append([]byte("ElfFile\x00"), bytes.Repeat([]byte{0xAB, 0x01}, 3000)...)

const jsonLine = `{"EventID": 1, "Image": "C:\\x.exe"}` + "\n"

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type member struct {
	name string
	data []byte
}

func zipBytes(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip writes one deflated member with the sizes and CRC given in its
// header, whatever the data really is.
func rawZip(t testing.TB, name string, data []byte, usize uint64, crc uint32) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: usize})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return buf.Bytes()
}

func gzBytes(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = name
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// readAll reads f whole and, when it has random access, checks that
// ReadAt agrees with what Read returned.
func readAll(t *testing.T, f File) ([]byte, *Content, error) {
	t.Helper()
	c, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	data, err := io.ReadAll(c)
	if err == nil && c.ReaderAt != nil {
		if c.Size != int64(len(data)) {
			t.Errorf("%s: Size %d, read %d bytes", f.Path, c.Size, len(data))
		}
		if len(data) >= 8 {
			buf := make([]byte, 8)
			if _, err := c.ReadAt(buf, int64(len(data))-8); err != nil || !bytes.Equal(buf, data[len(data)-8:]) {
				t.Errorf("%s: ReadAt = %x, %v", f.Path, buf, err)
			}
		}
	}
	return data, c, err
}

func rel(root string, paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
	}
	return out
}

func TestDiscoverTree(t *testing.T) {
	root := t.TempDir()
	inner := zipBytes(t, member{"inner.json", []byte(jsonLine)})
	write(t, filepath.Join(root, "a", "b", "c", "deep.json"), []byte("\xEF\xBB\xBF  \n"+jsonLine))
	write(t, filepath.Join(root, "a", "Security.log"), evtxBytes) // type by content, not by name
	write(t, filepath.Join(root, "a", "notes.txt"), []byte("hello, not a log\n"))
	write(t, filepath.Join(root, "a", "empty.json"), nil)
	write(t, filepath.Join(root, "a", "array.txt"), []byte("\n\t[ {\"EventID\": 4} ]"))
	write(t, filepath.Join(root, "b.zip"), zipBytes(t,
		member{"logs/", nil},
		member{"logs/one.jsonl", []byte(jsonLine + jsonLine)},
		member{"logs/two.evtx", evtxBytes},
		member{"readme.md", []byte("# readme")},
		member{"nested.zip", inner},
		member{"more.json.gz", gzBytes(t, "", []byte(jsonLine))},
	))
	write(t, filepath.Join(root, "c.gz"), gzBytes(t, "Sysmon.evtx", evtxBytes))

	res, err := Discover([]string{filepath.Join(root, "b.zip"), root, filepath.Join(root, "missing")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Files {
		got = append(got, f.Kind.String()+" "+f.Path)
	}
	want := []string{
		"json b.zip!logs/one.jsonl",
		"evtx b.zip!logs/two.evtx",
		"json b.zip!nested.zip!inner.json",
		"json b.zip!more.json.gz!more.json",
		"evtx a/Security.log",
		"json a/array.txt",
		"json a/b/c/deep.json",
		"evtx c.gz!Sysmon.evtx",
	}
	for i := range got {
		k, p, _ := strings.Cut(got[i], " ")
		got[i] = k + " " + rel(root, []string{p})[0]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	skipped := map[string]error{}
	for _, s := range res.Skipped {
		skipped[rel(root, []string{s.Path})[0]] = s.Err
		if s.Reason == "" {
			t.Errorf("%s: skipped without a reason", s.Path)
		}
	}
	for p, want := range map[string]error{
		"b.zip!readme.md": ErrUnknownType,
		"a/notes.txt":     ErrUnknownType,
		"a/empty.json":    ErrEmpty,
		"b.zip":           ErrDuplicate, // named twice: once as an argument, once in root
		"missing":         fs.ErrNotExist,
	} {
		if err, ok := skipped[p]; !ok || !errors.Is(err, want) {
			t.Errorf("skipped[%s] = %v, want %v", p, err, want)
		}
	}
	if len(res.Skipped) != 5 {
		t.Errorf("skipped %v, want 5 entries", res.Skipped)
	}

	// Every file reads back as written.
	contents := map[string]string{
		"b.zip!logs/one.jsonl":         jsonLine + jsonLine,
		"b.zip!logs/two.evtx":          string(evtxBytes),
		"b.zip!nested.zip!inner.json":  jsonLine,
		"b.zip!more.json.gz!more.json": jsonLine,
		"a/Security.log":               string(evtxBytes),
		"a/array.txt":                  "\n\t[ {\"EventID\": 4} ]",
		"a/b/c/deep.json":              "\xEF\xBB\xBF  \n" + jsonLine,
		"c.gz!Sysmon.evtx":             string(evtxBytes),
	}
	for _, f := range res.Files {
		p := rel(root, []string{f.Path})[0]
		data, c, err := readAll(t, f)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if string(data) != contents[p] {
			t.Errorf("%s: read %d bytes, want %d", p, len(data), len(contents[p]))
		}
		if f.Kind == KindEVTX && (c.ReaderAt == nil || c.Size != int64(len(evtxBytes))) {
			t.Errorf("%s: EVTX content without random access (size %d)", p, c.Size)
		}
	}
}

func TestEVTXMemberSpillsToTempFile(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	os.Mkdir(tmp, 0o755)
	write(t, filepath.Join(root, "in", "x.zip"), zipBytes(t, member{"big.evtx", evtxBytes}))
	res, err := Discover([]string{filepath.Join(root, "in")}, Options{MaxInMemory: 1024, TempDir: tmp})
	if err != nil || len(res.Files) != 1 {
		t.Fatalf("files %v, err %v", res.Files, err)
	}
	c, err := res.Files[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("temporary files %v, want 1", ents)
	}
	buf := make([]byte, len(evtxBytes))
	if _, err := c.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, evtxBytes) || c.Size != int64(len(evtxBytes)) {
		t.Errorf("ReadAt: %v (size %d)", err, c.Size)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary files left after Close: %v", ents)
	}
}

func TestArchiveLimits(t *testing.T) {
	root := t.TempDir()
	zeros := make([]byte, 4<<20)
	// ~1.3 MB of JSON that compresses little, so only its size is over.
	var bigBuf bytes.Buffer
	rng := rand.New(rand.NewSource(1))
	for bigBuf.Len() < 1300000 {
		fmt.Fprintf(&bigBuf, "{\"EventID\": 1, \"Hash\": \"%016x%016x\"}\n", rng.Uint64(), rng.Uint64())
	}
	big := bigBuf.Bytes()
	write(t, filepath.Join(root, "bomb.zip"), zipBytes(t, member{"zeros.json", zeros}))
	write(t, filepath.Join(root, "declared.zip"), zipBytes(t, member{"big.json", big}))
	write(t, filepath.Join(root, "liar.zip"), rawZip(t, "liar.json", big, 100, crc32.ChecksumIEEE(big[:100])))
	write(t, filepath.Join(root, "badcrc.zip"), rawZip(t, "bad.json", []byte(jsonLine), uint64(len(jsonLine)), 12345))
	write(t, filepath.Join(root, "stream.gz"), gzBytes(t, "stream.json", big))
	deep := []byte(jsonLine)
	for i := 0; i < 4; i++ {
		deep = zipBytes(t, member{"l.zip", deep})
	}
	write(t, filepath.Join(root, "deep.zip"), deep)

	res, err := Discover([]string{root}, Options{MaxRatio: 50, MaxDecompressed: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]error{}
	for _, s := range res.Skipped {
		skipped[rel(root, []string{s.Path})[0]] = s.Err
	}
	for p, want := range map[string]error{
		"bomb.zip!zeros.json":        ErrBomb,
		"declared.zip!big.json":      ErrTooLarge,
		"deep.zip!l.zip!l.zip!l.zip": ErrTooDeep,
	} {
		if err, ok := skipped[p]; !ok || !errors.Is(err, want) {
			t.Errorf("skipped[%s] = %v, want %v (all: %v)", p, err, want, res.Skipped)
		}
	}
	files := map[string]File{}
	for _, f := range res.Files {
		files[rel(root, []string{f.Path})[0]] = f
	}
	for p, want := range map[string]error{
		"liar.zip!liar.json":    ErrTooLarge, // header says 100 bytes, data is larger
		"badcrc.zip!bad.json":   ErrChecksum,
		"stream.gz!stream.json": ErrTooLarge, // gzip has no size to check up front
	} {
		f, ok := files[p]
		if !ok {
			t.Errorf("%s not found in %v", p, res.Files)
			continue
		}
		if _, _, err := readAll(t, f); !errors.Is(err, want) {
			t.Errorf("%s: read error %v, want %v", p, err, want)
		}
	}
}

func TestSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "d", "x.jsonl"), []byte(jsonLine))
	if err := os.Symlink("..", filepath.Join(root, "d", "up")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("x.jsonl", filepath.Join(root, "d", "y.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(root, "d", "broken")); err != nil {
		t.Fatal(err)
	}
	res, err := Discover([]string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || rel(root, []string{res.Files[0].Path})[0] != "d/x.jsonl" {
		t.Errorf("files %v", res.Files)
	}
	skipped := map[string]error{}
	for _, s := range res.Skipped {
		skipped[rel(root, []string{s.Path})[0]] = s.Err
	}
	if !errors.Is(skipped["d/up"], ErrLoop) || !errors.Is(skipped["d/y.jsonl"], ErrDuplicate) || skipped["d/broken"] == nil {
		t.Errorf("skipped %v", res.Skipped)
	}
}

func TestUnreadable(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "locked.json"), []byte(jsonLine))
	write(t, filepath.Join(root, "lockeddir", "in.json"), []byte(jsonLine))
	write(t, filepath.Join(root, "ok.json"), []byte(jsonLine))
	if err := os.Chmod(filepath.Join(root, "locked.json"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "lockeddir"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(root, "lockeddir"), 0o755)
	if f, err := os.Open(filepath.Join(root, "locked.json")); err == nil {
		f.Close()
		t.Skip("files with mode 000 are readable here (running as root?)")
	}
	res, err := Discover([]string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || filepath.Base(res.Files[0].Path) != "ok.json" {
		t.Errorf("files %v, want ok.json only", res.Files)
	}
	skipped := map[string]error{}
	for _, s := range res.Skipped {
		skipped[filepath.Base(s.Path)] = s.Err
	}
	if !errors.Is(skipped["locked.json"], fs.ErrPermission) || !errors.Is(skipped["lockeddir"], fs.ErrPermission) {
		t.Errorf("skipped %v", res.Skipped)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want fileType
	}{
		{"ElfFile\x00rest", typeEVTX},
		{"ElfFile", typeUnknown},
		{"PK\x03\x04", typeZip},
		{"PK\x05\x06", typeZip},
		{"\x1f\x8b\x08", typeGzip},
		{"{", typeJSON},
		{" \r\n\t[", typeJSON},
		{"\xEF\xBB\xBF{", typeJSON},
		{"\xEF\xBB\xBF \n[", typeJSON},
		{"<Events>", typeUnknown},
		{"EventID,Image", typeUnknown},
		{"   ", typeUnknown},
	}
	for _, tt := range tests {
		if got := detect([]byte(tt.head)); got != tt.want {
			t.Errorf("detect(%q) = %d, want %d", tt.head, got, tt.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	if _, err := Discover(nil, Options{MaxRatio: -1}); err == nil {
		t.Error("negative MaxRatio accepted")
	}
}

func utf16Bytes(s string, big, bom bool) []byte {
	var out []byte
	put := func(c uint16) {
		if big {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, c := range utf16.Encode([]rune(s)) {
		put(c)
	}
	return out
}

func TestUTF16JSON(t *testing.T) {
	text := "[\r\n  {\"EventID\": 4688, \"CommandLine\": \"été 😀 C:\\\\x\"}\r\n]\r\n"
	root := t.TempDir()
	write(t, filepath.Join(root, "le.json"), utf16Bytes(text, false, true))
	write(t, filepath.Join(root, "be.json"), utf16Bytes(text, true, true))
	write(t, filepath.Join(root, "nobom.json"), utf16Bytes(text, false, false))
	write(t, filepath.Join(root, "odd.json"), append(utf16Bytes(text, false, true), 'x'))
	res, err := Discover([]string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 4 || len(res.Skipped) != 0 {
		t.Fatalf("files %v, skipped %v", res.Files, res.Skipped)
	}
	for _, f := range res.Files {
		data, _, err := readAll(t, f)
		want := text
		if filepath.Base(f.Path) == "odd.json" {
			want += "\uFFFD"
		}
		if err != nil || string(data) != want || f.Kind != KindJSON {
			t.Errorf("%s: %v %q, %v", f.Path, f.Kind, data, err)
		}
	}
	// Byte-at-a-time reads split code units and surrogate pairs.
	r := newUTF16Reader(iotest.OneByteReader(bytes.NewReader(utf16Bytes(text, false, true))), false)
	data, err := io.ReadAll(r)
	if err != nil || string(data) != text {
		t.Errorf("one byte at a time: %q, %v", data, err)
	}
}
