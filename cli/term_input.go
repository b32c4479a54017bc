package cli

import (
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is an interactive terminal (a console on
// Windows); elsewhere, and where the terminal cannot be controlled, it is
// false and a password is read as a plain line.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// withoutEcho reads one line from the terminal f with its echo switched off,
// so a typed password never shows, and restores the terminal afterwards
// (term.ReadPassword; Ctrl-C still interrupts). When f is no terminal the
// line is read by read instead.
//
// The password is read from f itself, not through read's buffer: a
// terminal in line mode hands over one line per read, so the buffered
// reader behind read holds nothing when the prompt is shown.
func withoutEcho(f *os.File, read func() (string, error)) (string, error) {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return read()
	}
	b, err := term.ReadPassword(fd)
	return string(b), err
}
