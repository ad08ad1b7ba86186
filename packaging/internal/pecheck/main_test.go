package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// resource builds .rsrc-like bytes: a VS_FIXEDFILEINFO for 1.2.3.4 and the
// given UTF-16 strings.
func resource(fixed bool, strs ...string) []byte {
	var b []byte
	if fixed {
		b = binary.LittleEndian.AppendUint32(b, 0xFEEF04BD)
		b = binary.LittleEndian.AppendUint32(b, 0x00010000)
		b = binary.LittleEndian.AppendUint32(b, 1<<16|2)
		b = binary.LittleEndian.AppendUint32(b, 3<<16|4)
	}
	for _, s := range strs {
		b = append(b, utf16le(s)...)
		b = append(b, 0, 0)
	}
	return b
}

func TestCheckVersion(t *testing.T) {
	all := []string{"FileVersion", "ProductVersion", "ProductName", "v1.2.3"}
	tests := []struct {
		name string
		rsrc []byte
		ok   bool
	}{
		{"a full version resource with the version passes", resource(true, all...), true},
		{"a resource without VS_FIXEDFILEINFO fails", resource(false, all...), false},
		{"a resource with another version fails", resource(true, "FileVersion", "ProductVersion", "ProductName", "v9.9.9"), false},
		{"a version in ASCII rather than UTF-16 fails", append(resource(true, "FileVersion", "ProductVersion", "ProductName"), "v1.2.3"...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkVersion("x.exe", tt.rsrc, "v1.2.3")
			if (err == nil) != tt.ok {
				t.Errorf("checkVersion: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestCheckRejectsANonPEFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vigil")
	if err := os.WriteFile(p, []byte("\x7fELF not a PE file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := check(p, "v1", true); err == nil {
		t.Error("check of an ELF-like file passed")
	}
}
