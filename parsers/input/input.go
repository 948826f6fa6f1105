// Package input finds the log files under the paths a user names and says
// how to read each one.
//
// Discover walks files and directories (recursively, in lexical order,
// following symbolic links but never into a directory twice), decides
// each file's type by its content rather than its name, and looks inside
// zip and gzip archives. It returns the files a parser can read (EVTX or
// JSON) and, for everything else, the reason it was skipped: unknown
// type, unreadable, archive member too large or too compressed, and so
// on. Nothing it finds is dropped without a Skipped entry, except
// directories, which are only walked.
//
// DiscoverFS does the same over any fs.FS (an archive or a disk image
// opened as a file system, an fstest.MapFS in tests); Discover walks the
// directories it is given through os.DirFS with the same code, following
// symbolic links as well.
//
// Each File is opened on demand with File.Open, possibly from several
// goroutines at once; each call returns an independent Content that the
// caller closes.
package input

import (
	"errors"
	"fmt"
	"io"
)

// Kind is the type of a log file, decided by its content.
type Kind uint8

const (
	// KindUnknown is no log type we read.
	KindUnknown Kind = iota
	// KindEVTX is a Windows event log file (magic "ElfFile\x00").
	KindEVTX
	// KindJSON is JSON text: its first non-blank character, after an
	// optional byte order mark, is '{' or '['. UTF-8 and UTF-16 are
	// recognised; Content always reads as UTF-8.
	KindJSON
)

func (k Kind) String() string {
	switch k {
	case KindEVTX:
		return "evtx"
	case KindJSON:
		return "json"
	}
	return "unknown"
}

// Reasons a path is skipped, wrapped by Skipped.Err.
var (
	ErrUnknownType = errors.New("unknown type (not EVTX, JSON, zip or gzip)")
	ErrEmpty       = errors.New("empty file")
	ErrNotRegular  = errors.New("not a regular file")
	ErrDuplicate   = errors.New("same file as an earlier path")
	ErrLoop        = errors.New("directory already walked (symbolic link loop or alias)")
	ErrTooDeep     = errors.New("archive nested too deeply")
	ErrTooLarge    = errors.New("decompressed size over the limit")
	ErrBomb        = errors.New("compression ratio over the limit (zip bomb?)")
	ErrEncrypted   = errors.New("encrypted archive member")
	ErrUnsupported = errors.New("unsupported compression method")
	ErrChecksum    = errors.New("archive member checksum mismatch")
)

// File is one log file to parse: a file on disk, or a member of an
// archive.
type File struct {
	// Path names the file; a member of an archive is named
	// "archive.zip!member/path", one "!" per level of nesting.
	Path string
	Kind Kind
	// Size is the size of the (decompressed) content in bytes, or -1 when
	// it is only known after reading (gzip).
	Size int64
	// Open opens the content. It may be called several times, from several
	// goroutines; each Content is independent and must be closed.
	Open func() (*Content, error)
}

// Content is an opened File.
//
// Reader reads the content from its start. ReaderAt gives random access
// to the same bytes and is set for every file on disk and for every EVTX
// file: an EVTX member of an archive is decompressed into memory when it
// is at most Options.MaxInMemory bytes, else into a temporary file that
// Close removes. For JSON members of archives ReaderAt is nil and Size is
// -1: they are decompressed as they are read. JSON written in UTF-16 (as
// Windows PowerShell writes it) is transcoded to UTF-8 as it is read,
// also with a nil ReaderAt and a Size of -1.
//
// Reading an archive member past Options.MaxDecompressed fails with an
// error wrapping ErrTooLarge; a member whose CRC-32 does not match fails
// at its end with ErrChecksum.
type Content struct {
	io.Reader
	io.ReaderAt
	Size  int64
	close func() error
}

// Close releases the content (closes files, removes temporary files).
func (c *Content) Close() error {
	if c.close == nil {
		return nil
	}
	err := c.close()
	c.close = nil
	return err
}

// Skipped is a path that Discover did not return as a File.
type Skipped struct {
	Path   string
	Reason string // Err.Error(), for display
	Err    error  // wraps one of the Err* reasons, or an I/O error
}

func (s Skipped) String() string { return s.Path + ": " + s.Reason }

// Result is what Discover found, in a deterministic order: the order of
// the paths given, then lexical order within directories, then the order
// of members within archives.
type Result struct {
	Files   []File
	Skipped []Skipped
}

// Options configure Discover. The zero value is ready to use.
type Options struct {
	// MaxDecompressed bounds the bytes decompressed from one archive member
	// or gzip stream. A zip member whose header declares more is skipped;
	// reading past it fails with ErrTooLarge. Zero means 4 GiB.
	MaxDecompressed int64
	// MaxRatio bounds the declared uncompressed/compressed size ratio of a
	// zip member; a member above it is skipped as a likely bomb. Zero
	// means 1000; it applies to members of at least 1 MiB.
	MaxRatio int64
	// MaxInMemory is the largest archive member that needs random access
	// (EVTX, or a zip inside an archive) that is decompressed into memory;
	// a larger one goes to a temporary file in TempDir. Zero means 64 MiB.
	MaxInMemory int64
	// TempDir holds those temporary files; "" means os.TempDir().
	TempDir string
	// MaxNesting is how many archive levels are opened: 1 opens archives
	// given or found on disk but not archives inside them. Zero means 3.
	MaxNesting int
}

const (
	defaultMaxDecompressed = 4 << 30
	defaultMaxRatio        = 1000
	defaultMaxInMemory     = 64 << 20
	defaultMaxNesting      = 3
	ratioMinSize           = 1 << 20
	sniffSize              = 512
)

func (o Options) validate() (Options, error) {
	if o.MaxDecompressed < 0 || o.MaxRatio < 0 || o.MaxInMemory < 0 || o.MaxNesting < 0 {
		return o, fmt.Errorf("input: negative limit in options %+v", o)
	}
	if o.MaxDecompressed == 0 {
		o.MaxDecompressed = defaultMaxDecompressed
	}
	if o.MaxRatio == 0 {
		o.MaxRatio = defaultMaxRatio
	}
	if o.MaxInMemory == 0 {
		o.MaxInMemory = defaultMaxInMemory
	}
	if o.MaxNesting == 0 {
		o.MaxNesting = defaultMaxNesting
	}
	return o, nil
}
