package autostart

import (
	"fmt"
	"strings"
)

// DesktopEntry is the XDG autostart entry of it (Desktop Entry
// Specification 1.5): Exec with every argument quoted as the spec asks,
// TryExec naming the program so a desktop skips the entry once the program
// is gone (an uninstalled app then starts nothing and shows no error).
func DesktopEntry(it Item) ([]byte, error) {
	if err := it.check(); err != nil {
		return nil, err
	}
	// The spec forbids "=" in the program's path: the line could not be
	// read back unambiguously by every desktop.
	if strings.Contains(it.Exec, "=") {
		return nil, fmt.Errorf("autostart: the program path %q holds \"=\", which a desktop entry cannot start", it.Exec)
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	b.WriteString("[Desktop Entry]\n")
	line("Type", "Application")
	line("Version", "1.5")
	line("Name", escapeString(it.Name))
	line("Comment", escapeString(it.Comment))
	line("Icon", escapeString(it.Icon))
	line("TryExec", escapeString(it.Exec))
	line("Exec", ExecLine(it.Exec, it.Args...))
	line("Terminal", "false")
	line("X-GNOME-Autostart-enabled", "true")
	// KDE starts it once the panel, and so the tray, is up.
	line("X-KDE-autostart-after", "panel")
	return []byte(b.String()), nil
}

// ExecLine is the value of an Exec key running prog with args: each
// argument that needs it is double-quoted with ", `, $ and \ escaped, "%"
// is doubled (no field codes), then the string escapes are applied.
func ExecLine(prog string, args ...string) string {
	parts := make([]string, 0, 1+len(args))
	for _, a := range append([]string{prog}, args...) {
		parts = append(parts, quoteArg(a))
	}
	return escapeString(strings.Join(parts, " "))
}

// execReserved are the characters that make an Exec argument need quotes.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

func quoteArg(a string) string {
	a = strings.ReplaceAll(a, "%", "%%")
	if a != "" && !strings.ContainsAny(a, execReserved) {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		if r == '"' || r == '`' || r == '$' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// escapeString applies a string value's escapes: \\ \n \t \r (a value is
// one line).
func escapeString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}

// unescapeString undoes escapeString (and reads \s, which others write).
func unescapeString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// ParseExec splits an Exec value into the program and its arguments as a
// desktop does (the inverse of ExecLine); field codes other than %% are
// dropped, as a desktop starting the entry with no files would.
func ParseExec(value string) ([]string, error) {
	s := unescapeString(value)
	var p execSplitter
	for i := 0; i < len(s); i++ {
		if p.quoted {
			i = p.quotedAt(s, i)
		} else {
			i = p.plainAt(s, i)
		}
	}
	if p.quoted {
		return nil, fmt.Errorf("autostart: unterminated quote in Exec %q", value)
	}
	p.flush()
	if len(p.args) == 0 {
		return nil, fmt.Errorf("autostart: empty Exec")
	}
	return p.args, nil
}

// execSplitter splits an unescaped Exec value into arguments.
type execSplitter struct {
	args          []string
	cur           strings.Builder
	inArg, quoted bool
}

func (p *execSplitter) flush() {
	if p.inArg {
		p.args = append(p.args, p.cur.String())
	}
	p.cur.Reset()
	p.inArg = false
}

// quotedAt takes s[i] inside double quotes and returns the index of the
// last byte it used.
func (p *execSplitter) quotedAt(s string, i int) int {
	switch c := s[i]; {
	case c == '\\' && i+1 < len(s):
		i++
		p.cur.WriteByte(s[i])
	case c == '"':
		p.quoted = false
	case c == '%' && i+1 < len(s) && s[i+1] == '%':
		i++
		p.cur.WriteByte('%')
	default:
		p.cur.WriteByte(c)
	}
	return i
}

// plainAt takes s[i] outside quotes and returns the index of the last
// byte it used; field codes other than %% are dropped.
func (p *execSplitter) plainAt(s string, i int) int {
	switch c := s[i]; {
	case c == '"':
		p.quoted, p.inArg = true, true
	case c == ' ' || c == '\t':
		p.flush()
	case c == '%' && i+1 < len(s):
		i++
		if s[i] == '%' {
			p.cur.WriteByte('%')
			p.inArg = true
		}
	default:
		p.cur.WriteByte(c)
		p.inArg = true
	}
	return i
}

// ParseDesktopEntry reads the keys of an entry's [Desktop Entry] group,
// values unescaped except Exec (give that to ParseExec).
func ParseDesktopEntry(data []byte) map[string]string {
	keys := map[string]string{}
	group := ""
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		t := strings.TrimSpace(l)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			group = t[1 : len(t)-1]
		case group == "Desktop Entry":
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if _, seen := keys[k]; seen {
				continue
			}
			if k != "Exec" {
				v = unescapeString(v)
			}
			keys[k] = v
		}
	}
	return keys
}

// entryEnabled: a desktop skips an entry with Hidden=true, and GNOME one
// with X-GNOME-Autostart-enabled=false (what its startup settings write).
func entryEnabled(data []byte) bool {
	k := ParseDesktopEntry(data)
	return k["Hidden"] != "true" && k["X-GNOME-Autostart-enabled"] != "false"
}
