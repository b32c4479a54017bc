//go:build !windows

package cli

// attachConsole is needed on Windows only (console_windows.go): elsewhere a
// program started from a terminal has its streams.
func attachConsole() {}
