// Package boltwalk reads a bbolt file's pages with plain reads and bounds
// checks, never through bbolt itself, so that a damaged file gives a list of
// problems instead of a panic. The history Store runs it before bbolt opens
// a file (bbolt trusts every page it reads and panics, or faults on a
// truncated mmap, when one is wrong) and for its page check; salvage uses
// its tolerant walk to recover the entries still readable.
//
// It knows bbolt's on-disk format version 2 (bbolt 1.3 and 1.4): two meta
// pages, a freelist page, and B+trees of branch and leaf pages whose leaf
// entries may be nested buckets, stored inline or in pages of their own.
package boltwalk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// Page format constants of bbolt (internal/common).
const (
	magic          = 0xED0CDAED
	version        = 2
	pageHeaderSize = 16
	elemSize       = 16 // branch and leaf elements are both 16 bytes
	metaSize       = 64
	bucketHdrSize  = 16

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10

	leafBucket = 0x01

	noFreelist = ^uint64(0)
	maxDepth   = 64 // deeper than any real tree; stops a cycle early
)

// Meta is the meta page the walk started from.
type Meta struct {
	PageSize int
	Root     uint64 // page of the root bucket
	Freelist uint64 // page of the freelist
	Pages    uint64 // high-water mark: pages in use end below it
	Txid     uint64
}

// Entry is one key/value of a leaf. Path names the buckets above it, the
// outermost first. Bucket entries (nested buckets) are not reported; their
// contents are.
type Entry struct {
	Path  [][]byte
	Key   []byte
	Value []byte
}

// Result is what a walk found.
type Result struct {
	Meta     Meta
	Problems []string // empty for a sound file
	// Damaged counts pages that could not be read as what pointed to them;
	// their entries (and those of pages below them) are lost.
	Damaged int
	// Truncated is true when the file ends before its high-water mark.
	Truncated bool
	Free      int // pages on the freelist (without one, the pages not in use)
	Used      int // pages reached from the root, overflow pages included
	// Reached lists the pages in use whose header was checked: the meta
	// pages, the freelist and every page reached from the root (not their
	// overflow pages, whose bytes only the entries' own checks can judge).
	Reached []uint64
}

// OK reports whether the walk found nothing wrong.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// ErrEmpty is returned for a file of 0 bytes.
var ErrEmpty = errors.New("the file is empty (0 bytes)")

// ErrNotBolt is returned when neither meta page is valid.
var ErrNotBolt = errors.New("neither meta page is valid: not a bbolt file, or both were overwritten")

// MaxProblems bounds Result.Problems; further problems are counted only.
const MaxProblems = 100

type walker struct {
	r       io.ReaderAt
	size    int64
	res     *Result
	meta    Meta
	seen    []uint8 // per page: 0 not seen, 1 used, 2 free
	entry   func(Entry)
	extra   int // problems beyond MaxProblems
	buf     []byte
	scratch [pageHeaderSize]byte
}

// Walk checks the bbolt file r of size bytes: both meta pages, the freelist,
// every page reached from the root bucket (type, id, bounds, key order), and
// that every page below the high-water mark is used or free exactly once.
// entry, when not nil, gets every readable leaf entry, also below damaged
// pages' siblings. The error is for a file that cannot be walked at all
// (empty, no valid meta page, a read failure).
func Walk(r io.ReaderAt, size int64, entry func(Entry)) (*Result, error) {
	res := &Result{}
	if size == 0 {
		return res, ErrEmpty
	}
	m, err := readMeta(r, size)
	if err != nil {
		return res, err
	}
	res.Meta = m
	w := &walker{r: r, size: size, res: res, meta: m, entry: entry}
	if end := int64(m.Pages) * int64(m.PageSize); end > size {
		res.Truncated = true
		w.problem("the file is %d bytes but its pages run to %d: it was cut short (truncated)", size, end)
	}
	if m.Pages > uint64(size/int64(m.PageSize))+1<<20 || m.Pages < 2 {
		w.problem("the meta page says %d pages, impossible for a file of %d bytes", m.Pages, size)
		return w.finish(), nil
	}
	w.seen = make([]uint8, m.Pages)
	w.seen[0], w.seen[1] = 1, 1
	res.Reached = append(res.Reached, 0, 1)
	res.Used = 2
	w.freelist()
	if m.Root < 2 || m.Root >= m.Pages {
		w.problem("root bucket page %d is outside the file's pages 2..%d", m.Root, m.Pages-1)
	} else {
		w.tree(m.Root, nil, nil, nil, 0)
	}
	if !res.Truncated && res.Damaged == 0 {
		for id := uint64(2); id < m.Pages; id++ {
			switch {
			case w.seen[id] != 0:
			case m.Freelist == noFreelist:
				res.Free++ // not written (bbolt's NoFreelistSync): every page not in use is free
			default:
				w.problem("page %d is neither used nor free", id)
			}
		}
	}
	return w.finish(), nil
}

// WalkFile opens path and walks it.
func WalkFile(path string, entry func(Entry)) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return &Result{}, err
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return &Result{}, err
	}
	return Walk(f, fi.Size(), entry)
}

func (w *walker) finish() *Result {
	if w.extra > 0 {
		w.res.Problems = append(w.res.Problems, fmt.Sprintf("and %d more problems", w.extra))
	}
	return w.res
}

func (w *walker) problem(format string, args ...any) {
	if len(w.res.Problems) >= MaxProblems {
		w.extra++
		return
	}
	w.res.Problems = append(w.res.Problems, fmt.Sprintf(format, args...))
}

// readMeta picks the meta page bbolt would: the valid one with the higher
// transaction id.
func readMeta(r io.ReaderAt, size int64) (Meta, error) {
	var best Meta
	found := false
	try := func(off int64) (Meta, bool) {
		var b [pageHeaderSize + metaSize]byte
		if n, _ := r.ReadAt(b[:], off); n < len(b) {
			return Meta{}, false
		}
		m, ok := parseMeta(b[:])
		return m, ok
	}
	m0, ok0 := try(0)
	if ok0 {
		best, found = m0, true
	}
	// The second meta page is one page in; without the first, try the page
	// sizes bbolt may have used.
	sizes := []int64{}
	if ok0 {
		sizes = append(sizes, int64(m0.PageSize))
	} else {
		for i := range 15 {
			sizes = append(sizes, 1024<<i)
		}
	}
	for _, ps := range sizes {
		if ps >= size {
			break
		}
		if m1, ok := try(ps); ok && int64(m1.PageSize) == ps {
			if !found || m1.Txid > best.Txid {
				best = m1
			}
			found = true
			break
		}
	}
	if !found {
		return Meta{}, ErrNotBolt
	}
	return best, nil
}

func parseMeta(b []byte) (Meta, bool) {
	le := binary.LittleEndian
	if le.Uint16(b[8:]) != flagMeta {
		return Meta{}, false
	}
	m := b[pageHeaderSize:]
	if le.Uint32(m) != magic || le.Uint32(m[4:]) != version {
		return Meta{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56]) // a hash.Hash never fails
	if h.Sum64() != le.Uint64(m[56:]) {
		return Meta{}, false
	}
	ps := le.Uint32(m[8:])
	if ps < 512 || ps > 1<<24 || ps&(ps-1) != 0 {
		return Meta{}, false
	}
	return Meta{PageSize: int(ps), Root: le.Uint64(m[16:]), Freelist: le.Uint64(m[32:]), Pages: le.Uint64(m[40:]), Txid: le.Uint64(m[48:])}, true
}

// page reads page id with its overflow pages, checking its header. The
// returned slice is valid until the next call.
func (w *walker) page(id uint64, what string) ([]byte, bool) {
	ps := int64(w.meta.PageSize)
	off := int64(id) * ps
	if n, _ := w.r.ReadAt(w.scratch[:], off); n < pageHeaderSize {
		w.problem("%s page %d is beyond the end of the file", what, id)
		return nil, false
	}
	le := binary.LittleEndian
	if got := le.Uint64(w.scratch[:]); got != id {
		w.problem("%s page %d identifies itself as page %d: overwritten", what, id, got)
		return nil, false
	}
	over := uint64(le.Uint32(w.scratch[12:]))
	if id+over >= w.meta.Pages {
		w.problem("%s page %d runs %d pages past the last page %d", what, id, over, w.meta.Pages-1)
		return nil, false
	}
	for p := id; p <= id+over; p++ {
		if w.seen[p] != 0 {
			w.problem("%s page %d is also used elsewhere (page %d)", what, id, p)
			return nil, false
		}
	}
	n := (1 + int64(over)) * ps
	if int64(cap(w.buf)) < n {
		w.buf = make([]byte, n)
	}
	buf := w.buf[:n]
	if got, _ := w.r.ReadAt(buf, off); int64(got) < n {
		w.problem("%s page %d is cut off by the end of the file", what, id)
		return nil, false
	}
	for p := id; p <= id+over; p++ {
		w.seen[p] = 1
	}
	w.res.Used += 1 + int(over)
	w.res.Reached = append(w.res.Reached, id)
	return buf, true
}

func (w *walker) freelist() {
	id := w.meta.Freelist
	if id == noFreelist {
		return
	}
	if id < 2 || id >= w.meta.Pages {
		w.problem("freelist page %d is outside the file's pages", id)
		return
	}
	buf, ok := w.page(id, "freelist")
	if !ok {
		w.res.Damaged++
		return
	}
	le := binary.LittleEndian
	if f := le.Uint16(buf[8:]); f != flagFreelist {
		w.problem("freelist page %d has type %#x", id, f)
		w.res.Damaged++
		return
	}
	count, start := uint64(le.Uint16(buf[10:])), pageHeaderSize
	if count == 0xFFFF {
		count, start = le.Uint64(buf[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > uint64(len(buf)-start)/8 {
		w.problem("freelist page %d says %d free pages, more than it holds", id, count)
		w.res.Damaged++
		return
	}
	for i := range count {
		p := le.Uint64(buf[start+int(i)*8:])
		switch {
		case p < 2 || p >= w.meta.Pages:
			w.problem("freelist names page %d, outside the file's pages", p)
		case w.seen[p] != 0:
			w.problem("freelist names page %d twice, or a page in use", p)
		default:
			w.seen[p] = 2
			w.res.Free++
		}
	}
}

// tree walks the bucket tree rooted at page id. lo and hi bound its keys
// (hi nil: no bound).
func (w *walker) tree(id uint64, path [][]byte, lo, hi []byte, depth int) {
	if depth > maxDepth {
		w.problem("page %d: tree deeper than %d levels: pages form a cycle", id, maxDepth)
		w.res.Damaged++
		return
	}
	if id < 2 || id >= w.meta.Pages {
		w.problem("%s: page %d is outside the file's pages", bucketName(path), id)
		w.res.Damaged++
		return
	}
	buf, ok := w.page(id, bucketName(path))
	if !ok {
		w.res.Damaged++
		return
	}
	// Keep what the page says before the buffer is reused below.
	buf = bytes.Clone(buf)
	flags := binary.LittleEndian.Uint16(buf[8:])
	switch flags {
	case flagBranch:
		w.branch(id, buf, path, lo, hi, depth)
	case flagLeaf:
		w.leaf(id, buf, path, lo, hi, depth)
	default:
		w.problem("%s: page %d has type %#x, not a branch or leaf", bucketName(path), id, flags)
		w.res.Damaged++
	}
}

func (w *walker) branch(id uint64, buf []byte, path [][]byte, lo, hi []byte, depth int) {
	le := binary.LittleEndian
	count := int(le.Uint16(buf[10:]))
	if count == 0 || pageHeaderSize+count*elemSize > len(buf) {
		w.problem("%s: branch page %d has %d elements, which do not fit", bucketName(path), id, count)
		w.res.Damaged++
		return
	}
	type child struct {
		key []byte
		id  uint64
	}
	kids := make([]child, 0, count)
	for i := range count {
		e := pageHeaderSize + i*elemSize
		pos, ksize := int(le.Uint32(buf[e:])), int(le.Uint32(buf[e+4:]))
		k, ok := slice(buf, e+pos, ksize)
		if !ok {
			w.problem("%s: branch page %d element %d runs past the page", bucketName(path), id, i)
			w.res.Damaged++
			return
		}
		if i > 0 && bytes.Compare(kids[i-1].key, k) >= 0 {
			w.problem("%s: branch page %d keys are out of order", bucketName(path), id)
			w.res.Damaged++
			return
		}
		kids = append(kids, child{k, le.Uint64(buf[e+8:])})
	}
	for i, c := range kids {
		clo, chi := c.key, hi
		if i == 0 {
			clo = lo
		}
		if i+1 < len(kids) {
			chi = kids[i+1].key
		}
		w.tree(c.id, path, clo, chi, depth+1)
	}
}

func (w *walker) leaf(id uint64, buf []byte, path [][]byte, lo, hi []byte, depth int) {
	le := binary.LittleEndian
	count := int(le.Uint16(buf[10:]))
	if pageHeaderSize+count*elemSize > len(buf) {
		w.problem("%s: leaf page %d has %d elements, which do not fit", bucketName(path), id, count)
		w.res.Damaged++
		return
	}
	var prev []byte
	for i := range count {
		flags, k, v, ok := leafElem(buf, i)
		if !ok {
			w.problem("%s: leaf page %d element %d runs past the page", bucketName(path), id, i)
			w.res.Damaged++
			return
		}
		if (i > 0 && bytes.Compare(prev, k) >= 0) || (lo != nil && bytes.Compare(k, lo) < 0) || (hi != nil && bytes.Compare(k, hi) >= 0) {
			w.problem("%s: leaf page %d keys are out of order", bucketName(path), id)
			w.res.Damaged++
			return
		}
		prev = k
		if flags&leafBucket == 0 {
			if w.entry != nil {
				w.entry(Entry{Path: path, Key: k, Value: v})
			}
			continue
		}
		sub := append(path[:len(path):len(path)], k)
		if len(v) < bucketHdrSize {
			w.problem("%s: bucket header of %d bytes", bucketName(sub), len(v))
			w.res.Damaged++
			continue
		}
		if root := le.Uint64(v); root != 0 {
			w.tree(root, sub, nil, nil, depth+1)
			continue
		}
		w.inline(v[bucketHdrSize:], sub)
	}
}

// inline walks a bucket stored inside its parent's leaf: one leaf page
// without a page id, holding no buckets.
func (w *walker) inline(p []byte, path [][]byte) {
	le := binary.LittleEndian
	if len(p) < pageHeaderSize || le.Uint16(p[8:]) != flagLeaf {
		w.problem("%s: inline bucket is not a leaf", bucketName(path))
		w.res.Damaged++
		return
	}
	count := int(le.Uint16(p[10:]))
	if pageHeaderSize+count*elemSize > len(p) {
		w.problem("%s: inline bucket has %d elements, which do not fit", bucketName(path), count)
		w.res.Damaged++
		return
	}
	var prev []byte
	for i := range count {
		flags, k, v, ok := leafElem(p, i)
		if !ok || flags&leafBucket != 0 || (i > 0 && bytes.Compare(prev, k) >= 0) {
			w.problem("%s: inline bucket element %d is damaged", bucketName(path), i)
			w.res.Damaged++
			return
		}
		prev = k
		if w.entry != nil {
			w.entry(Entry{Path: path, Key: k, Value: v})
		}
	}
}

// leafElem reads element i of the leaf page p: its flags, key and value,
// ok false when they run past the page.
func leafElem(p []byte, i int) (flags uint32, k, v []byte, ok bool) {
	le := binary.LittleEndian
	e := pageHeaderSize + i*elemSize
	flags, pos := le.Uint32(p[e:]), int(le.Uint32(p[e+4:]))
	ksize, vsize := int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
	k, ok = slice(p, e+pos, ksize)
	v, ok2 := slice(p, e+pos+ksize, vsize)
	return flags, k, v, ok && ok2
}

// slice returns b[off:off+n] when it lies within b.
func slice(b []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(b) || n > len(b)-off {
		return nil, false
	}
	return b[off : off+n : off+n], true
}

func bucketName(path [][]byte) string {
	if len(path) == 0 {
		return "root bucket"
	}
	var b []byte
	for i, p := range path {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	return fmt.Sprintf("bucket %q", b)
}

// Scan reads every page of the file that is not in skip and identifies
// itself as a leaf, and passes its entries (without a bucket path: the
// pages above it may be gone) to entry. It is salvage's last resort when
// the tree cannot be walked; it also finds old copies of entries on freed
// pages, so the caller must choose between versions. pageSize 0 means the
// page size of a valid meta page, else 4096.
func Scan(r io.ReaderAt, size int64, pageSize int, skip map[uint64]bool, entry func(Entry)) (pages int) {
	if pageSize <= 0 {
		pageSize = 4096
		if m, err := readMeta(r, size); err == nil {
			pageSize = m.PageSize
		}
	}
	buf := make([]byte, pageSize)
	le := binary.LittleEndian
	for id := uint64(2); int64(id+1)*int64(pageSize) <= size; id++ {
		if skip[id] {
			continue
		}
		if n, _ := r.ReadAt(buf, int64(id)*int64(pageSize)); n < pageSize {
			break
		}
		if le.Uint64(buf) != id || le.Uint16(buf[8:]) != flagLeaf || le.Uint32(buf[12:]) != 0 {
			continue // not a leaf, or one with overflow pages (left alone: they may be reused)
		}
		count := int(le.Uint16(buf[10:]))
		if pageHeaderSize+count*elemSize > len(buf) {
			continue
		}
		pages++
		for i := range count {
			flags, k, v, ok := leafElem(buf, i)
			if !ok || flags&leafBucket != 0 {
				continue
			}
			entry(Entry{Key: bytes.Clone(k), Value: bytes.Clone(v)})
		}
	}
	return pages
}
