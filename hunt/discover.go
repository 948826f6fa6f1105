package hunt

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
	pjson "github.com/loghunt/loghunt/parsers/json"
)

func jsonInput(p string, size int64) Input {
	return Input{Path: p, Kind: "json", Size: size, Open: func() ([]parsers.Unit, func() error, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, err
		}
		return []parsers.Unit{pjson.NewUnit(f, p, pjson.Options{})}, f.Close, nil
	}}
}

// DiscoverOptions configure Discover.
type DiscoverOptions struct {
	Carve bool // EVTX: also carve records from slack space
}

// Discover finds the inputs under paths. (Temporary: EVTX only, until
// parsers/input lands.)
func Discover(paths []string, opts DiscoverOptions) ([]Input, []SkippedFile) {
	var ins []Input
	var skipped []SkippedFile
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				skipped = append(skipped, SkippedFile{p, err.Error()})
				return nil
			}
			if d.IsDir() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				skipped = append(skipped, SkippedFile{p, err.Error()})
				return nil
			}
			head := make([]byte, 8)
			n, _ := io.ReadFull(f, head)
			st, _ := f.Stat()
			f.Close()
			switch t := bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xef\xbb\xbf")), " \t\r\n"); {
			case bytes.Equal(head[:n], []byte("ElfFile\x00")):
				ins = append(ins, evtxInput(p, st.Size(), opts))
			case len(t) > 0 && (t[0] == '{' || t[0] == '['):
				ins = append(ins, jsonInput(p, st.Size()))
			default:
				skipped = append(skipped, SkippedFile{p, "not an EVTX or JSON file"})
			}
			return nil
		})
		if err != nil {
			skipped = append(skipped, SkippedFile{root, err.Error()})
		}
	}
	return ins, skipped
}

func evtxInput(p string, size int64, opts DiscoverOptions) Input {
	return Input{Path: p, Kind: "evtx", Size: size, Open: func() ([]parsers.Unit, func() error, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, err
		}
		ef, err := evtx.Open(f, size, p, evtx.Options{Carve: opts.Carve})
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return ef.Units(), f.Close, nil
	}}
}
