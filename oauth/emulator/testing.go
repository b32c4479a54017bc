package emulator

import "testing"

// Started is an emulator listening on 127.0.0.1 for the length of the
// test: what every package's tests wire the same way.
func Started(tb testing.TB, opts Options) *Emulator {
	tb.Helper()
	e := New(opts)
	if err := e.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}
