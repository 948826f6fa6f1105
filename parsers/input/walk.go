package input

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// maxDirDepth bounds directory recursion; links cannot loop (walked
// directories are remembered), but a real tree could be absurdly deep.
const maxDirDepth = 256

type discoverer struct {
	opts  Options
	res   Result
	dirs  map[string]bool   // identities (real paths) of walked directories
	files map[string]string // identity -> first path seen
}

func newDiscoverer(opts Options) (*discoverer, error) {
	opts, err := opts.validate()
	if err != nil {
		return nil, err
	}
	return &discoverer{opts: opts, dirs: make(map[string]bool), files: make(map[string]string)}, nil
}

// Discover finds the log files under paths, on the disk. It fails only for
// invalid options: every path that cannot be read or used is listed in
// Result.Skipped with the reason, and the walk goes on. Files are named by
// the path given joined to their path below it, with the OS separator.
// Directories are walked as os.DirFS file systems, like DiscoverFS walks
// any file system, except that symbolic links are followed.
func Discover(paths []string, opts Options) (*Result, error) {
	d, err := newDiscoverer(opts)
	if err != nil {
		return nil, err
	}
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
			d.walkFS(diskTree(p), ".", real, 0)
		} else {
			d.file(diskSource(p, fi.Size()), real, fi)
		}
	}
	return &d.res, nil
}

// DiscoverFS finds the log files in fsys, walking it from its root "." as
// Discover walks a directory: in lexical order, deciding types by content,
// looking inside archives, and skipping with a reason what it cannot use.
// Symbolic links in fsys are not followed: they are skipped as
// ErrNotRegular. Files are named label + "!" + their path in fsys, as
// members of an archive are, or by their path in fsys alone when label is
// "". It fails only for invalid options.
//
// A file of fsys gives random access (File.Open sets Content.ReaderAt) when
// the fs.File that fsys.Open returns implements io.ReaderAt, as *os.File
// and testing/fstest.MapFS files do. Otherwise an EVTX file is spooled, as
// a compressed archive member is: into memory up to Options.MaxInMemory
// bytes, else into a temporary file, up to Options.MaxDecompressed bytes
// (then reading fails with ErrTooLarge); a JSON file is read as a stream.
//
// fsys is opened again by every File.Open, possibly from several
// goroutines at once, so it must be safe for concurrent use.
func DiscoverFS(fsys fs.FS, label string, opts Options) (*Result, error) {
	d, err := newDiscoverer(opts)
	if err != nil {
		return nil, err
	}
	t := &fsTree{
		fsys: fsys,
		name: func(name string) string {
			switch {
			case label == "":
				return name
			case name == ".":
				return label
			}
			return label + "!" + name
		},
		child: func(real, elem string) string { return path.Join(real, elem) },
	}
	fi, err := fs.Stat(fsys, ".")
	if err != nil {
		d.skip(t.name("."), relabel(err, t.name(".")))
		return &d.res, nil
	}
	if !fi.IsDir() {
		d.skip(t.name("."), fmt.Errorf("%w (root of the file system is not a directory)", ErrNotRegular))
		return &d.res, nil
	}
	d.walkFS(t, ".", ".", 0)
	return &d.res, nil
}

// fsTree is a file system that walkFS walks, and how it names and
// identifies what it finds there.
type fsTree struct {
	fsys fs.FS
	// name is the path shown for the slash-separated path name in fsys.
	name func(name string) string
	// child is the identity of the entry elem of the directory whose
	// identity is real. Two paths with the same identity are the same file
	// or directory, which is read or walked once.
	child func(real, elem string) string
	// resolve follows the symbolic link shown as display and returns the
	// identity of its target; nil when links are not followed.
	resolve func(display string) (string, error)
}

// diskTree is the directory root on disk: os.DirFS, with paths shown as
// root joined to their path below it, and real absolute paths as
// identities, so that a link to a directory already walked is a loop and
// a link to a file already seen a duplicate.
func diskTree(root string) *fsTree {
	return &fsTree{
		fsys: diskFS{os.DirFS(root).(fs.StatFS), root},
		name: func(name string) string {
			if name == "." {
				return root
			}
			return filepath.Join(root, filepath.FromSlash(name))
		},
		child: func(real, elem string) string { return filepath.Join(real, elem) },
		resolve: func(display string) (string, error) {
			target, err := filepath.EvalSymlinks(display)
			if err != nil {
				return "", err
			}
			if abs, err := filepath.Abs(target); err == nil {
				target = abs
			}
			return target, nil
		},
	}
}

// diskFS is os.DirFS(root) whose ReadDir, like os.ReadDir and unlike
// os.DirFS, also returns the entries read before an error.
type diskFS struct {
	fs.StatFS // os.DirFS(root)
	root      string
}

func (d diskFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	entries, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(name)))
	if pe, ok := err.(*fs.PathError); ok {
		pe.Path = name
	}
	return entries, err
}

// relabel names the path of a *fs.PathError by its display path: the file
// system only knows its own names.
func relabel(err error, display string) error {
	if pe, ok := err.(*fs.PathError); ok && pe.Path != display {
		return &fs.PathError{Op: pe.Op, Path: display, Err: pe.Err}
	}
	return err
}

func (d *discoverer) skip(path string, err error) {
	d.res.Skipped = append(d.res.Skipped, Skipped{Path: path, Reason: err.Error(), Err: err})
}

// walkFS walks the directory dir of t, whose identity is real, adding its
// files in lexical order and walking its subdirectories.
func (d *discoverer) walkFS(t *fsTree, dir, real string, depth int) {
	display := t.name(dir)
	if d.dirs[real] {
		d.skip(display, ErrLoop)
		return
	}
	d.dirs[real] = true
	if depth >= maxDirDepth {
		d.skip(display, fmt.Errorf("directory nested deeper than %d levels", maxDirDepth))
		return
	}
	// fs.ReadDir sorts by name and returns what it read before an error.
	entries, err := fs.ReadDir(t.fsys, dir)
	if err != nil {
		d.skip(display, relabel(err, display))
	}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		p := t.name(name)
		r := t.child(real, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			if t.resolve == nil {
				d.skip(p, fmt.Errorf("%w (%s)", ErrNotRegular, fs.ModeSymlink))
				continue
			}
			target, err := t.resolve(p)
			if err != nil {
				d.skip(p, err)
				continue
			}
			r = target
		}
		fi, err := fs.Stat(t.fsys, name) // follows links
		if err != nil {
			d.skip(p, relabel(err, p))
			continue
		}
		if fi.IsDir() {
			d.walkFS(t, name, r, depth+1)
			continue
		}
		d.file(fsSource(t.fsys, name, p, fi.Size()), r, fi)
	}
}

// file adds the file src, whose identity is real, unless it is not a
// regular file, was seen before, or is empty.
func (d *discoverer) file(src source, real string, fi fs.FileInfo) {
	if !fi.Mode().IsRegular() {
		d.skip(src.path, fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type()))
		return
	}
	if first, ok := d.files[real]; ok {
		d.skip(src.path, fmt.Errorf("%w (%s)", ErrDuplicate, first))
		return
	}
	d.files[real] = src.path
	if fi.Size() == 0 {
		d.skip(src.path, ErrEmpty)
		return
	}
	d.classify(src, 0)
}
