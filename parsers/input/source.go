package input

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// readerAtCloser is random access to content of a known size.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// source is content that can be opened again and again: a file on disk,
// an archive member or a gzip stream.
type source struct {
	path string
	size int64 // -1 when unknown
	// open reads the content from the start.
	open func() (io.ReadCloser, error)
	// openAt gives random access; nil when the content is compressed and
	// must be materialized first.
	openAt func() (readerAtCloser, int64, error)
}

func diskSource(p string, size int64) source {
	return source{
		path: p,
		size: size,
		open: func() (io.ReadCloser, error) { return os.Open(p) },
		openAt: func() (readerAtCloser, int64, error) {
			f, err := os.Open(p)
			if err != nil {
				return nil, 0, err
			}
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, err
			}
			return f, fi.Size(), nil
		},
	}
}

// fsSource is the file name of fsys, shown as display. It gets random
// access in classify when the opened file is an io.ReaderAt.
func fsSource(fsys fs.FS, name, display string, size int64) source {
	return source{
		path: display,
		size: size,
		open: func() (io.ReadCloser, error) {
			f, err := fsys.Open(name)
			if err != nil {
				return nil, relabel(err, display)
			}
			return f, nil
		},
	}
}

// direct gives random access to the content of src when the reader its
// open returns is an io.ReaderAt (a file on disk, or a file of an fs.FS
// that offers it), with the size its Stat method reports.
func direct(src source) func() (readerAtCloser, int64, error) {
	return func() (readerAtCloser, int64, error) {
		rc, err := src.open()
		if err != nil {
			return nil, 0, err
		}
		ra, ok := rc.(readerAtCloser)
		st, ok2 := rc.(interface{ Stat() (fs.FileInfo, error) })
		if !ok || !ok2 {
			rc.Close()
			return nil, 0, errors.New("random access lost since discovery")
		}
		fi, err := st.Stat()
		if err != nil {
			rc.Close()
			return nil, 0, err
		}
		return ra, fi.Size(), nil
	}
}

// sniff returns the first bytes of src and whether src.open gives an
// io.ReaderAt.
func sniff(src source) ([]byte, bool, error) {
	rc, err := src.open()
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	_, isReaderAt := rc.(io.ReaderAt)
	_, hasStat := rc.(interface{ Stat() (fs.FileInfo, error) })
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(rc, head)
	if n > 0 {
		// A damaged or oversized member is still classified by its head;
		// the error comes back when the consumer reads it whole.
		err = nil
	}
	if err == io.EOF {
		err = nil
	}
	return head[:n], isReaderAt && hasStat, err
}

type fileType uint8

const (
	typeUnknown fileType = iota
	typeEVTX
	typeJSON
	typeZip
	typeGzip
	typeJSONUTF16LE
	typeJSONUTF16BE
)

func detect(head []byte) fileType {
	switch {
	case bytes.HasPrefix(head, []byte("ElfFile\x00")):
		return typeEVTX
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return typeZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return typeGzip
	}
	if t := detectUTF16(head); t != typeUnknown {
		return t
	}
	b := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return typeJSON
	}
	return typeUnknown
}

// detectUTF16 finds JSON in UTF-16: after a byte order mark, or, without
// one, a '{' or '[' in the low byte of the first code unit.
func detectUTF16(head []byte) fileType {
	var big bool
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		head = head[2:]
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		head, big = head[2:], true
	case len(head) >= 2 && (head[0] == '{' || head[0] == '[') && head[1] == 0:
	default:
		return typeUnknown
	}
	for i := 0; i+1 < len(head); i += 2 {
		c, z := head[i], head[i+1]
		if big {
			c, z = z, c
		}
		if z != 0 {
			return typeUnknown
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			if big {
				return typeJSONUTF16BE
			}
			return typeJSONUTF16LE
		}
		return typeUnknown
	}
	return typeUnknown
}

// classify sniffs src and adds it to the result as a File, as the members
// of an archive, or as Skipped. depth is the number of archives src is in.
func (d *discoverer) classify(src source, depth int) {
	head, random, err := sniff(src)
	if err != nil {
		d.skip(src.path, err)
		return
	}
	if src.openAt == nil && random {
		src.openAt = direct(src)
	}
	if len(head) == 0 {
		d.skip(src.path, ErrEmpty)
		return
	}
	switch detect(head) {
	case typeEVTX:
		d.res.Files = append(d.res.Files, File{Path: src.path, Kind: KindEVTX, Size: src.size, Open: d.openRandom(src)})
	case typeJSON:
		f := File{Path: src.path, Kind: KindJSON, Size: src.size, Open: d.openStream(src)}
		if src.openAt != nil {
			f.Open = d.openRandom(src)
		}
		d.res.Files = append(d.res.Files, f)
	case typeJSONUTF16LE, typeJSONUTF16BE:
		big := detect(head) == typeJSONUTF16BE
		d.res.Files = append(d.res.Files, File{Path: src.path, Kind: KindJSON, Size: -1, Open: func() (*Content, error) {
			rc, err := src.open()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.path, err)
			}
			return &Content{Reader: newUTF16Reader(rc, big), Size: -1, close: rc.Close}, nil
		}})
	case typeZip:
		if depth >= d.opts.MaxNesting {
			d.skip(src.path, fmt.Errorf("%w: more than %d levels", ErrTooDeep, d.opts.MaxNesting))
			return
		}
		d.zip(src, depth+1)
	case typeGzip:
		if depth >= d.opts.MaxNesting {
			d.skip(src.path, fmt.Errorf("%w: more than %d levels", ErrTooDeep, d.opts.MaxNesting))
			return
		}
		d.gzip(src, depth+1)
	default:
		d.skip(src.path, ErrUnknownType)
	}
}

// openRandom opens src with random access, materializing it if needed.
func (d *discoverer) openRandom(src source) func() (*Content, error) {
	opts := d.opts
	return func() (*Content, error) {
		var ra readerAtCloser
		var size int64
		var err error
		if src.openAt != nil {
			ra, size, err = src.openAt()
		} else {
			ra, size, err = materialize(src, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.path, err)
		}
		return &Content{Reader: io.NewSectionReader(ra, 0, size), ReaderAt: ra, Size: size, close: ra.Close}, nil
	}
}

func (d *discoverer) openStream(src source) func() (*Content, error) {
	return func() (*Content, error) {
		rc, err := src.open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.path, err)
		}
		return &Content{Reader: rc, Size: -1, close: rc.Close}, nil
	}
}

// memReader is materialized content in memory.
type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }

// tempReader is materialized content in a temporary file, removed on
// Close.
type tempReader struct{ *os.File }

func (t tempReader) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.File.Name()); err == nil {
		err = rerr
	}
	return err
}

// materialize decompresses src for random access: into memory up to
// MaxInMemory bytes, then into a temporary file up to MaxDecompressed.
func materialize(src source, opts Options) (readerAtCloser, int64, error) {
	rc, err := src.open()
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, opts.MaxInMemory+1))
	if err != nil {
		return nil, 0, err
	}
	if n > opts.MaxDecompressed {
		return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, opts.MaxDecompressed)
	}
	if n <= opts.MaxInMemory {
		return memReader{bytes.NewReader(buf.Bytes())}, n, nil
	}
	f, err := os.CreateTemp(opts.TempDir, "loghunt-member-*")
	if err != nil {
		return nil, 0, err
	}
	t := tempReader{f}
	if _, err := buf.WriteTo(f); err != nil {
		t.Close()
		return nil, 0, err
	}
	buf = bytes.Buffer{}
	// An archive member's reader is bounded already; a file of an fs.FS
	// without random access is not.
	rest := max(opts.MaxDecompressed-n, 0)
	m, err := io.Copy(f, &boundedReader{r: rc, left: rest, max: opts.MaxDecompressed})
	if err != nil {
		t.Close()
		return nil, 0, err
	}
	return t, n + m, nil
}

// boundedReader fails once more than max bytes have been read from r,
// and checks a CRC-32 at the end when want is set.
type boundedReader struct {
	r     io.Reader
	left  int64
	max   int64
	crc   hash.Hash32
	want  uint32
	close func() error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Allow a final read that proves the stream ends exactly here.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max)
		}
		if err == io.EOF {
			return 0, b.eof()
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.crc != nil {
		b.crc.Write(p[:n])
	}
	if err == io.EOF {
		return n, b.eof()
	}
	return n, err
}

func (b *boundedReader) eof() error {
	if b.crc != nil && b.crc.Sum32() != b.want {
		return ErrChecksum
	}
	return io.EOF
}

func (b *boundedReader) Close() error { return b.close() }

// zip adds the members of the zip archive src.
func (d *discoverer) zip(src source, depth int) {
	ra, size, err := d.archiveAt(src)
	if err != nil {
		d.skip(src.path, err)
		return
	}
	defer ra.Close()
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		d.skip(src.path, fmt.Errorf("zip: %w", err))
		return
	}
	members := 0
	defer func() {
		if members == 0 {
			d.skip(src.path, fmt.Errorf("%w: zip archive without files", ErrEmpty))
		}
	}()
	for _, zf := range zr.File {
		mpath := src.path + "!" + zf.Name
		if strings.HasSuffix(zf.Name, "/") && zf.UncompressedSize64 == 0 && zf.CompressedSize64 <= 2 {
			continue // a directory entry: nothing to read, like a directory on disk
		}
		members++
		if zf.Flags&1 != 0 {
			d.skip(mpath, ErrEncrypted)
			continue
		}
		if zf.Method != zip.Store && zf.Method != zip.Deflate {
			d.skip(mpath, fmt.Errorf("%w %d", ErrUnsupported, zf.Method))
			continue
		}
		usize, csize := int64(zf.UncompressedSize64), int64(zf.CompressedSize64)
		if usize >= ratioMinSize && (csize == 0 || usize/csize > d.opts.MaxRatio) {
			d.skip(mpath, fmt.Errorf("%w: %d bytes from %d", ErrBomb, usize, csize))
			continue
		}
		if zf.UncompressedSize64 > uint64(d.opts.MaxDecompressed) {
			d.skip(mpath, fmt.Errorf("%w: %d bytes declared, limit %d", ErrTooLarge, zf.UncompressedSize64, d.opts.MaxDecompressed))
			continue
		}
		if usize == 0 {
			d.skip(mpath, ErrEmpty)
			continue
		}
		off, err := zf.DataOffset()
		if err != nil {
			d.skip(mpath, err)
			continue
		}
		d.classify(d.zipMember(src, mpath, off, zf), depth)
	}
}

// archiveAt gives random access to an archive, materializing it when it
// is itself a member of an archive.
func (d *discoverer) archiveAt(src source) (readerAtCloser, int64, error) {
	if src.openAt != nil {
		return src.openAt()
	}
	return materialize(src, d.opts)
}

// zipMember is the source of one zip member. Each open reopens the
// archive and decompresses from the member's data offset, so members are
// independent of each other and of Discover.
func (d *discoverer) zipMember(archive source, mpath string, off int64, zf *zip.File) source {
	opts := d.opts
	method, csize, usize, crc := zf.Method, int64(zf.CompressedSize64), int64(zf.UncompressedSize64), zf.CRC32
	return source{
		path: mpath,
		size: usize,
		open: func() (io.ReadCloser, error) {
			ra, _, err := d.archiveAt(archive)
			if err != nil {
				return nil, err
			}
			var r io.Reader = io.NewSectionReader(ra, off, csize)
			closeAll := ra.Close
			if method == zip.Deflate {
				fr := flate.NewReader(r)
				r = fr
				closeAll = func() error {
					fr.Close()
					return ra.Close()
				}
			}
			limit := min(usize, opts.MaxDecompressed)
			return &boundedReader{r: r, left: limit, max: limit, crc: crc32.NewIEEE(), want: crc, close: closeAll}, nil
		},
	}
}

// gzip adds the content of the gzip stream src, named after the name in
// its header or, failing that, after src without its .gz suffix.
func (d *discoverer) gzip(src source, depth int) {
	rc, err := src.open()
	if err != nil {
		d.skip(src.path, err)
		return
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		d.skip(src.path, fmt.Errorf("gzip: %w", err))
		return
	}
	name := path.Base(strings.ReplaceAll(zr.Name, `\`, "/"))
	zr.Close()
	rc.Close()
	if name == "" || name == "." || name == "/" {
		base := path.Base(strings.ReplaceAll(src.path, `\`, "/"))
		if i := strings.LastIndexByte(base, '!'); i >= 0 {
			base = base[i+1:]
		}
		name = strings.TrimSuffix(strings.TrimSuffix(base, ".gz"), ".gzip")
	}
	opts := d.opts
	d.classify(source{
		path: src.path + "!" + name,
		size: -1,
		open: func() (io.ReadCloser, error) {
			rc, err := src.open()
			if err != nil {
				return nil, err
			}
			zr, err := gzip.NewReader(rc)
			if err != nil {
				rc.Close()
				return nil, fmt.Errorf("gzip: %w", err)
			}
			return &boundedReader{r: zr, left: opts.MaxDecompressed, max: opts.MaxDecompressed, close: func() error {
				zr.Close()
				return rc.Close()
			}}, nil
		},
	}, depth)
}
