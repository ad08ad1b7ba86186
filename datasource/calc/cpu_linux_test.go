package calc

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used; the
// benchmark locks its goroutine to its thread, so this is the one core's
// work, not time spent waiting for a CPU on a shared machine.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
