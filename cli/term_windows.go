//go:build windows

package cli

import (
	"os"

	"golang.org/x/sys/windows"
)

// isTerminal reports whether f is an interactive console.
func isTerminal(f *os.File) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(f.Fd()), &mode) == nil
}

// withoutEcho runs read with console echo switched off, so a typed password
// never shows, and restores the console afterwards.
func withoutEcho(f *os.File, read func() (string, error)) (string, error) {
	h := windows.Handle(f.Fd())
	var old uint32
	if err := windows.GetConsoleMode(h, &old); err != nil {
		return read()
	}
	quiet := (old &^ windows.ENABLE_ECHO_INPUT) | windows.ENABLE_LINE_INPUT | windows.ENABLE_PROCESSED_INPUT
	if err := windows.SetConsoleMode(h, quiet); err != nil {
		return "", err
	}
	defer windows.SetConsoleMode(h, old) //nolint:errcheck // best effort restore
	return read()
}
