package rules

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const archSigma = "title: T\nid: 11111111-1111-4111-8111-111111111111\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|endswith: '\\x.exe'}\n  condition: sel\n"
const archKQL = "id: q1\nname: Q\nquery: |\n  DeviceProcessEvents | take 1\n"

// archiveMembers is the content of the test archives: rules in nested
// directories, a README, a YAML file that is not a rule, a hidden
// directory, and a member over MaxFileSize that compresses to almost
// nothing (a bomb).
func archiveMembers() []struct {
	name string
	data []byte
} {
	return []struct {
		name string
		data []byte
	}{
		{"rules/windows/b.yml", []byte(archSigma)},
		{"rules/windows/a.yml", []byte(archSigma)},
		{"rules/kql/q.yaml", []byte(archKQL)},
		{"README.md", []byte("# rules\n")},
		{"rules/config.yml", []byte("foo: bar\n")},
		{".github/workflows/ci.yml", []byte(archSigma)},
		{"rules/bomb.yml", make([]byte, MaxFileSize+1)},
	}
}

func writeZip(t *testing.T, p string) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range archiveMembers() {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeTarGz(t *testing.T, p string) {
	var b bytes.Buffer
	gw := gzip.NewWriter(&b)
	tw := tar.NewWriter(gw)
	tw.WriteHeader(&tar.Header{Name: "rules/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, m := range archiveMembers() {
		if err := tw.WriteHeader(&tar.Header{Name: "./" + m.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m.data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	tw.Close()
	gw.Close()
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFindArchive: -r reads the rules of a .zip and a .tar.gz as it
// reads a directory: in lexical order, named ARCHIVE!member, hidden
// directories left out, a member over the size limit skipped with its
// cause, and a YAML file that is not a rule reported.
func TestFindArchive(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"sigma_core.zip", "rules.tar.gz"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if filepath.Ext(name) == ".zip" {
				writeZip(t, p)
			} else {
				writeTarGz(t, p)
			}
			files, skipped := FindOnDisk(p, 0)
			var got []string
			for _, f := range files {
				got = append(got, f.Path+" "+f.Kind.String())
			}
			want := []string{
				p + "!rules/kql/q.yaml kql",
				p + "!rules/windows/a.yml sigma",
				p + "!rules/windows/b.yml sigma",
			}
			if len(got) != len(want) {
				t.Fatalf("files = %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("file %d = %q, want %q", i, got[i], want[i])
				}
			}
			if len(skipped) != 2 {
				t.Fatalf("skipped = %+v, want the bomb and config.yml", skipped)
			}
			if skipped[0].Path != p+"!rules/bomb.yml" || !errors.Is(skipped[0], ErrTooLarge) {
				t.Errorf("skipped[0] = %+v, want the bomb with ErrTooLarge", skipped[0])
			}
			if skipped[1].Path != p+"!rules/config.yml" || skipped[1].Reason != "YAML without detection, correlation, filter or query" {
				t.Errorf("skipped[1] = %+v", skipped[1])
			}
		})
	}
}

// TestFindArchiveDamaged: an archive that does not read is skipped as a
// whole with ErrArchive; nothing of it loads.
func TestFindArchiveDamaged(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"bad.zip", "bad.tar.gz"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("not an archive at all"), 0o644)
		files, skipped := FindOnDisk(p, 0)
		if len(files) != 0 || len(skipped) != 1 || skipped[0].Path != p || !errors.Is(skipped[0], ErrArchive) {
			t.Errorf("%s: files %d, skipped %+v", name, len(files), skipped)
		}
	}
	// A tar.gz cut short after its first member.
	good := filepath.Join(dir, "good.tar.gz")
	writeTarGz(t, good)
	data, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.tar.gz")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	if files, skipped := FindOnDisk(cut, 0); len(files) != 0 || len(skipped) != 1 || !errors.Is(skipped[0], ErrArchive) {
		t.Errorf("cut: files %d, skipped %+v", len(files), skipped)
	}
}

func TestIsArchive(t *testing.T) {
	for p, want := range map[string]bool{"a.zip": true, "A.ZIP": true, "r.tar.gz": true, "r.tgz": true, "r.gz": false, "r.yml": false, "zip": false} {
		if IsArchive(p) != want {
			t.Errorf("IsArchive(%q) = %v", p, !want)
		}
	}
}
