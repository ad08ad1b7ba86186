// Package sockets lists the listening sockets of a process on Linux, for the
// tests that prove Vigil's network surface: the GUI and `vigil run` open no
// listening socket, `vigil sim` binds to loopback unless told otherwise.
package sockets

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoProc means the system has no /proc to read sockets from.
var ErrNoProc = errors.New("no /proc on this system")

// Listening returns the local addresses ("tcp 0100007F:1F90") of the TCP
// sockets in LISTEN state and the bound, unconnected UDP sockets of process
// pid ("self" for this one): /proc/PID/net lists the network namespace's
// sockets, /proc/PID/fd says which are the process's own.
func Listening(pid string) ([]string, error) {
	dir := filepath.Join("/proc", pid)
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return nil, errors.Join(ErrNoProc, err)
	}
	ours := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			ours[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var found []string
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		data, err := os.ReadFile(filepath.Join(dir, "net", f))
		if err != nil {
			continue // no IPv6 on this host
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !ours[fields[9]] {
				continue
			}
			local, remote, state := fields[1], fields[2], fields[3]
			listening := state == "0A" // TCP_LISTEN
			if strings.HasPrefix(f, "udp") {
				listening = strings.HasSuffix(remote, ":0000") // bound, not connected
			}
			if listening {
				found = append(found, f+" "+local)
			}
		}
	}
	return found, nil
}
