package rules

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/loghunt/loghunt/hunt"
)

// Bounds of one rule archive, so that an archive cannot make loghunt read
// without end (a zip bomb): every rule file in it is bounded by
// MaxFileSize, all of them together by MaxArchiveBytes (SigmaHQ's
// sigma_all_rules.zip holds about 20 MB of rules), and the entries by
// MaxArchiveEntries.
const (
	MaxArchiveBytes   = 256 << 20
	MaxArchiveEntries = 100_000
)

// ErrArchive is wrapped by the error of a rule archive that breaks a bound
// or does not read.
var ErrArchive = errors.New("rule archive")

// IsArchive reports whether a rules path names an archive of rules by its
// extension: .zip, .tar.gz or .tgz.
func IsArchive(p string) bool {
	l := strings.ToLower(p)
	return strings.HasSuffix(l, ".zip") || strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".tgz")
}

// FindArchive reads the rule files of a .zip or .tar.gz archive, as
// SigmaHQ publishes its releases (sigma_core.zip, sigma_all_rules.zip):
// every member is classified as Find classifies files on disk, in lexical
// order, and reported as "ARCHIVE!member". Members under a directory whose
// name starts with "." are left out, as Find leaves them out. A member
// over MaxFileSize is skipped with ErrTooLarge; an archive past
// MaxArchiveBytes or MaxArchiveEntries, or that does not read, is skipped
// as a whole with ErrArchive (nothing of it loads: a partial rule set
// would hunt with less than the analyst asked for, in silence).
func FindArchive(p string, threads int) ([]File, []hunt.Skipped) {
	fail := func(err error) ([]File, []hunt.Skipped) {
		return nil, []hunt.Skipped{{Path: p, Reason: err.Error(), Err: err}}
	}
	var c collector
	budget := int64(MaxArchiveBytes)
	add := func(name string, data []byte) { c.add(name, data, p+"!"+name, false) }
	tooLarge := func(name string, n int64) {
		err := fmt.Errorf("%w: %d bytes is over the %d byte limit for a rule file", ErrTooLarge, n, MaxFileSize)
		c.skip(hunt.Skipped{Path: p + "!" + name, Reason: err.Error(), Err: err})
	}
	overBudget := fmt.Errorf("%w: more than %d bytes of rules (zip bomb?)", ErrArchive, MaxArchiveBytes)

	if strings.HasSuffix(strings.ToLower(p), ".zip") {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrArchive, err))
		}
		defer zr.Close()
		if len(zr.File) > MaxArchiveEntries {
			return fail(fmt.Errorf("%w: %d entries, over the limit of %d", ErrArchive, len(zr.File), MaxArchiveEntries))
		}
		members := slices.Clone(zr.File)
		slices.SortFunc(members, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
		for _, m := range members {
			if m.FileInfo().IsDir() || hidden(m.Name) {
				continue
			}
			if !mayBeRule(m.Name) {
				add(m.Name, nil)
				continue
			}
			if m.UncompressedSize64 > MaxFileSize {
				tooLarge(m.Name, int64(min(m.UncompressedSize64, 1<<62)))
				continue
			}
			rc, err := m.Open()
			if err != nil {
				return fail(fmt.Errorf("%w: %s: %v", ErrArchive, m.Name, err))
			}
			data, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
			rc.Close()
			if err != nil {
				return fail(fmt.Errorf("%w: %s: %v", ErrArchive, m.Name, err))
			}
			if len(data) > MaxFileSize {
				tooLarge(m.Name, int64(len(data)))
				continue
			}
			if budget -= int64(len(data)); budget < 0 {
				return fail(overBudget)
			}
			add(m.Name, data)
		}
		return c.finish(threads)
	}

	fh, err := os.Open(p)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrArchive, err))
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrArchive, err))
	}
	// Every decompressed byte counts, those of members that are not
	// rules too: tar reads through them.
	lim := &limitedReader{r: gz, left: MaxArchiveBytes}
	tr := tar.NewReader(lim)
	type member struct {
		name string
		data []byte
	}
	var members []member
	for n := 0; ; n++ {
		if n == MaxArchiveEntries {
			return fail(fmt.Errorf("%w: over the limit of %d entries", ErrArchive, MaxArchiveEntries))
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if lim.over {
				return fail(overBudget)
			}
			return fail(fmt.Errorf("%w: %v", ErrArchive, err))
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(h.Name, "./")), "/")
		if h.Typeflag != tar.TypeReg || hidden(name) || name == "." {
			continue
		}
		if !mayBeRule(name) {
			members = append(members, member{name: name})
			continue
		}
		if h.Size > MaxFileSize {
			tooLarge(name, h.Size)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, MaxFileSize+1))
		if err != nil {
			if lim.over {
				return fail(overBudget)
			}
			return fail(fmt.Errorf("%w: %s: %v", ErrArchive, name, err))
		}
		members = append(members, member{name: name, data: data})
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	for _, m := range members {
		add(m.name, m.data)
	}
	return c.finish(threads)
}

// hidden reports whether an archive member is under a directory whose
// name starts with "." (.github and the like), or is such a file's
// directory itself.
func hidden(name string) bool {
	dir, _ := path.Split(name)
	for _, part := range strings.Split(dir, "/") {
		if strings.HasPrefix(part, ".") && part != "." && part != ".." {
			return true
		}
	}
	return false
}

// limitedReader fails with over set once more than left bytes are read.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		l.over = true
		return 0, fmt.Errorf("%w: over %d bytes decompressed", ErrArchive, MaxArchiveBytes)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
