package input

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxDirDepth bounds directory recursion; links cannot loop (walked
// directories are remembered), but a real tree could be absurdly deep.
const maxDirDepth = 256

type discoverer struct {
	opts  Options
	res   Result
	dirs  map[string]bool   // real paths of walked directories
	files map[string]string // real path -> first path seen
}

// Discover finds the log files under paths. It fails only for invalid
// options: every path that cannot be read or used is listed in
// Result.Skipped with the reason, and the walk goes on.
func Discover(paths []string, opts Options) (*Result, error) {
	opts, err := opts.validate()
	if err != nil {
		return nil, err
	}
	d := &discoverer{opts: opts, dirs: make(map[string]bool), files: make(map[string]string)}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			d.skip(p, err)
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			d.skip(p, err)
			continue
		}
		if abs, err := filepath.Abs(real); err == nil {
			real = abs
		}
		if fi.IsDir() {
			d.dir(p, real, 0)
		} else {
			d.file(p, real, fi)
		}
	}
	return &d.res, nil
}

func (d *discoverer) skip(path string, err error) {
	d.res.Skipped = append(d.res.Skipped, Skipped{Path: path, Reason: err.Error(), Err: err})
}

func (d *discoverer) dir(path, real string, depth int) {
	if d.dirs[real] {
		d.skip(path, ErrLoop)
		return
	}
	d.dirs[real] = true
	if depth >= maxDirDepth {
		d.skip(path, fmt.Errorf("directory nested deeper than %d levels", maxDirDepth))
		return
	}
	// os.ReadDir sorts by name and returns what it read before an error.
	entries, err := os.ReadDir(path)
	if err != nil {
		d.skip(path, err)
	}
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		r := filepath.Join(real, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				d.skip(p, err)
				continue
			}
			if abs, err := filepath.Abs(target); err == nil {
				target = abs
			}
			r = target
		}
		fi, err := os.Stat(p) // follows links
		if err != nil {
			d.skip(p, err)
			continue
		}
		if fi.IsDir() {
			d.dir(p, r, depth+1)
			continue
		}
		d.file(p, r, fi)
	}
}

func (d *discoverer) file(path, real string, fi fs.FileInfo) {
	if !fi.Mode().IsRegular() {
		d.skip(path, fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type()))
		return
	}
	if first, ok := d.files[real]; ok {
		d.skip(path, fmt.Errorf("%w (%s)", ErrDuplicate, first))
		return
	}
	d.files[real] = path
	if fi.Size() == 0 {
		d.skip(path, ErrEmpty)
		return
	}
	d.classify(diskSource(path, fi.Size()), 0)
}
