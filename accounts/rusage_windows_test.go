//go:build windows

package accounts

import (
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// cpuTime is the CPU time (user and kernel) this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var creation, exit, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &user); err != nil {
		b.Fatal(err)
	}
	// Kernel and user times are durations in 100-nanosecond units, not
	// instants (Filetime.Nanoseconds would count them from 1601 to 1970).
	ticks := func(t windows.Filetime) int64 { return int64(t.HighDateTime)<<32 | int64(t.LowDateTime) }
	return time.Duration(ticks(kernel)+ticks(user)) * 100
}
