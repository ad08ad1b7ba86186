package displays

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// Check compiles the set's displays again as they would be with file (the
// project file or one of its display files) holding data, and returns the
// compiler's problems ("file:line: field: message", one per line), or
// nil. Edit mode calls it before writing, so an edit that would break the
// displays is refused and the file is left untouched.
func (s *Set) Check(file string, data []byte) error {
	if s == nil {
		return errors.New("no displays to check against")
	}
	in := s.in
	if file == in.File {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return err
		}
		in.Node = nil
		if len(doc.Content) == 1 {
			root := doc.Content[0]
			for i := 0; i+1 < len(root.Content); i += 2 {
				if root.Content[i].Value == "displays" {
					in.Node = root.Content[i+1]
				}
			}
		}
	} else {
		rel, err := filepath.Rel(filepath.Dir(in.File), file)
		if err != nil {
			return err
		}
		in.FS = overlay{base: in.FS, name: filepath.ToSlash(rel), data: data}
	}
	if _, errs := Compile(in); len(errs) > 0 {
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return errors.Join(list...)
	}
	return nil
}

// overlay is a directory with one file's content replaced.
type overlay struct {
	base fs.FS
	name string
	data []byte
}

func (o overlay) Open(name string) (fs.File, error) {
	if name != o.name {
		return o.base.Open(name)
	}
	return &memFile{Reader: bytes.NewReader(o.data), name: name, size: int64(len(o.data))}, nil
}

// memFile is the replaced file, read from memory.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return filepath.Base(f.name) }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }
