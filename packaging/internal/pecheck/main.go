// Command pecheck checks a Windows executable built by packaging/package.sh:
// that it is a PE file for x86-64 (machine 0x8664, PE32+) and that its
// resource section holds a version resource whose strings carry the
// expected version. make package-test runs it on vigil.exe and setup.exe.
//
// Usage: pecheck [-machine amd64|any] FILE VERSION
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"unicode/utf16"
)

func main() {
	machine := flag.String("machine", "amd64", "required machine: amd64, or any")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "Usage: pecheck [-machine amd64|any] FILE VERSION")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := check(flag.Arg(0), flag.Arg(1), *machine == "amd64"); err != nil {
		fmt.Fprintln(os.Stderr, "pecheck:", err)
		os.Exit(1)
	}
}

// check opens file as PE and verifies machine type and version resource.
func check(file, version string, wantAMD64 bool) error {
	f, err := pe.Open(file)
	if err != nil {
		return fmt.Errorf("%s: not a PE file: %w", file, err)
	}
	defer f.Close()
	_, pe64 := f.OptionalHeader.(*pe.OptionalHeader64)
	fmt.Printf("%s: machine 0x%04x, PE32+ %v\n", file, f.Machine, pe64)
	if wantAMD64 && (f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || !pe64) {
		return fmt.Errorf("%s: machine 0x%04x (PE32+ %v), want 0x8664 x86-64 PE32+", file, f.Machine, pe64)
	}
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		return fmt.Errorf("%s: no .rsrc section: the version resource was not linked", file)
	}
	data, err := rsrc.Data()
	if err != nil {
		return fmt.Errorf("%s: reading .rsrc: %w", file, err)
	}
	return checkVersion(file, data, version)
}

// checkVersion looks in the resource bytes for the VS_FIXEDFILEINFO
// signature and the UTF-16 strings a version resource holds.
func checkVersion(file string, rsrc []byte, version string) error {
	sig := binary.LittleEndian.AppendUint32(nil, 0xFEEF04BD)
	i := bytes.Index(rsrc, sig)
	if i < 0 || i+16 > len(rsrc) {
		return fmt.Errorf("%s: no VS_FIXEDFILEINFO in .rsrc", file)
	}
	ms := binary.LittleEndian.Uint32(rsrc[i+8:])
	ls := binary.LittleEndian.Uint32(rsrc[i+12:])
	fmt.Printf("%s: FILEVERSION %d.%d.%d.%d\n", file, ms>>16, ms&0xffff, ls>>16, ls&0xffff)
	var missing []error
	for _, s := range []string{"FileVersion", "ProductVersion", "ProductName", version} {
		if !bytes.Contains(rsrc, utf16le(s)) {
			missing = append(missing, fmt.Errorf("%s: version resource lacks %q", file, s))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return err
	}
	fmt.Printf("%s: version strings FileVersion/ProductVersion = %q\n", file, version)
	return nil
}

// utf16le encodes s as the UTF-16LE bytes Windows resources store.
func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}
