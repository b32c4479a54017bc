//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package cli

import "os"

// isTerminal is false where the terminal cannot be controlled, so the
// password is read as a plain line.
func isTerminal(f *os.File) bool { return false }

func withoutEcho(f *os.File, read func() (string, error)) (string, error) { return read() }
