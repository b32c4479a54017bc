package autostart

import "strings"

// RunKey is the per-user key whose values Windows runs at login.
const RunKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// StartupApprovedKey holds the user's on/off choice of Task Manager's
// Startup tab for each Run value (a binary value; an odd first byte is off).
const StartupApprovedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`

// RunValue is the command line stored in the Run value of it: the program
// always in double quotes (a path with spaces, unquoted, would let
// C:\Program.exe run instead), each argument quoted as CommandLineToArgvW
// reads it back.
func RunValue(it Item) (string, error) {
	if err := it.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	// The program name is read up to the next quote, with no escapes, and
	// a Windows path cannot hold one.
	b.WriteString(`"` + it.Exec + `"`)
	for _, a := range it.Args {
		b.WriteByte(' ')
		b.WriteString(windowsArg(a))
	}
	return b.String(), nil
}

// windowsArg quotes one argument for CommandLineToArgvW: backslashes are
// literal except before a double quote, where they are doubled.
func windowsArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\v\"") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			slashes = 0
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
			slashes = 0
		}
		if c != '\\' {
			b.WriteByte(c)
		}
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	return b.String()
}

// approvedOff reads a StartupApproved value: Task Manager writes 02 (or
// 06) for on and 03 (or 07) for off in the first byte.
func approvedOff(data []byte) bool { return len(data) > 0 && data[0]&1 == 1 }
