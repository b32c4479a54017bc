//go:build windows

package cli

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows build is a GUI-subsystem program, so starting the app from the
// Start menu opens no console window; but Windows then gives it no standard
// streams either, and `SellerConnect.exe --version` typed in a terminal would
// print nothing. attachConsole attaches to the console of the process that
// started it (the terminal) and points each stream that has no handle at it.
// Streams that were redirected (to a pipe or a file) keep their handle.
// cmd.exe does not wait for a GUI program, so the output may appear after its
// next prompt; PowerShell pipelines and redirections wait and read it normally.

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1

func attachConsole() {
	streams := []struct {
		id   uint32
		file **os.File
		name string
	}{
		{windows.STD_INPUT_HANDLE, &os.Stdin, "CONIN$"},
		{windows.STD_OUTPUT_HANDLE, &os.Stdout, "CONOUT$"},
		{windows.STD_ERROR_HANDLE, &os.Stderr, "CONOUT$"},
	}
	missing := make([]bool, len(streams))
	for i, s := range streams {
		h, err := windows.GetStdHandle(s.id)
		missing[i] = err != nil || h == 0 || h == windows.InvalidHandle
	}
	if !missing[1] && !missing[2] {
		return // output is redirected: nothing to attach for
	}
	if ok, _, _ := procAttachConsole.Call(attachParentProcess); ok == 0 {
		return // started from Explorer or a service: no console to borrow
	}
	for i, s := range streams {
		if !missing[i] {
			continue
		}
		f, err := os.OpenFile(s.name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		*s.file = f
		_ = windows.SetStdHandle(s.id, windows.Handle(f.Fd()))
	}
}
