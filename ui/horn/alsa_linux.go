//go:build linux && !android

package horn

// #cgo pkg-config: alsa
// #include <alsa/asoundlib.h>
//
// static void vigilQuiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
// static void vigilQuietALSA(void) { snd_lib_error_set_handler(vigilQuiet); }
import "C"

// ALSA prints a dozen lines to stderr when a machine has no sound card
// (every CI runner and Xvfb session): the speaker reports the failure once,
// in its own words (Speaker.Err, shown in the status line), instead.
func init() { C.vigilQuietALSA() }
