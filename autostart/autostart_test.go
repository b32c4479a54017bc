package autostart

import (
	"encoding/xml"
	"strings"
	"testing"
)

var app = Item{
	ID: "io.sellerconnect.app", Name: "SellerConnect", Exec: "/usr/bin/sellerconnect", Args: []string{"--hidden"},
	Comment: "Keeps your seller accounts connected", Icon: "io.sellerconnect.app",
}

func TestDesktopEntry(t *testing.T) {
	data, err := DesktopEntry(app)
	if err != nil {
		t.Fatal(err)
	}
	want := `[Desktop Entry]
Type=Application
Version=1.5
Name=SellerConnect
Comment=Keeps your seller accounts connected
Icon=io.sellerconnect.app
TryExec=/usr/bin/sellerconnect
Exec=/usr/bin/sellerconnect --hidden
Terminal=false
X-GNOME-Autostart-enabled=true
X-KDE-autostart-after=panel
`
	if string(data) != want {
		t.Errorf("entry:\n%s\nwant:\n%s", data, want)
	}
	if !entryEnabled(data) {
		t.Error("the entry reads as switched off")
	}
}

// Exec quoting follows the Desktop Entry Specification: reserved
// characters put an argument in double quotes, where " ` $ \ take a
// backslash; % is doubled; then the string escapes double every backslash.
func TestExecLine(t *testing.T) {
	for _, c := range []struct {
		prog string
		args []string
		want string
	}{
		{"/usr/bin/sellerconnect", []string{"--hidden"}, `/usr/bin/sellerconnect --hidden`},
		{"/home/jo/My Apps/sellerconnect", []string{"--hidden"}, `"/home/jo/My Apps/sellerconnect" --hidden`},
		{"/opt/a$b/sc", nil, `"/opt/a\\$b/sc"`},
		{"/opt/it's/sc", nil, `"/opt/it's/sc"`},
		{`/opt/back\slash/sc`, nil, `"/opt/back\\\\slash/sc"`},
		{"/opt/q\"uote/sc", nil, `"/opt/q\\"uote/sc"`},
		{"/opt/tick`/sc", nil, "\"/opt/tick\\\\`/sc\""},
		{"/opt/100%/sc", []string{"--data-dir", "/home/jo/50% off"}, `/opt/100%%/sc --data-dir "/home/jo/50%% off"`},
		{"/opt/sc", []string{""}, `/opt/sc ""`},
		{"/opt/sc", []string{"a\nb"}, `/opt/sc "a\nb"`},
		{"/opt/ü/sc", []string{"--hidden"}, `/opt/ü/sc --hidden`},
	} {
		got := ExecLine(c.prog, c.args...)
		if got != c.want {
			t.Errorf("ExecLine(%q, %q) = %s, want %s", c.prog, c.args, got, c.want)
			continue
		}
		back, err := ParseExec(got)
		if err != nil {
			t.Errorf("ParseExec(%s): %v", got, err)
			continue
		}
		if w := append([]string{c.prog}, c.args...); strings.Join(back, "\x00") != strings.Join(w, "\x00") {
			t.Errorf("ParseExec(%s) = %q, want %q", got, back, w)
		}
	}
}

func TestParseExecFieldCodes(t *testing.T) {
	got, err := ParseExec(`/usr/bin/sc %U --x "%%"`)
	if err != nil || strings.Join(got, "|") != "/usr/bin/sc|--x|%" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := ParseExec(`"/usr/bin/sc`); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

func TestDesktopEntryRefuses(t *testing.T) {
	for _, it := range []Item{
		{ID: "io.x", Name: "X", Exec: "relative/sc"},
		{ID: "io.x", Name: "X", Exec: "/opt/a=b/sc"},
		{ID: "../x", Name: "X", Exec: "/opt/sc"},
		{ID: "io.x", Name: "", Exec: "/opt/sc"},
		{ID: "io.x", Name: "X", Exec: "/opt/sc", Args: []string{"a\x00b"}},
	} {
		if _, err := DesktopEntry(it); err == nil {
			t.Errorf("%+v was accepted", it)
		}
	}
}

func TestEntrySwitchedOff(t *testing.T) {
	for text, on := range map[string]bool{
		"[Desktop Entry]\nExec=/a\n":                                  true,
		"[Desktop Entry]\nExec=/a\nHidden=true\n":                     false,
		"[Desktop Entry]\nExec=/a\nX-GNOME-Autostart-enabled=false\n": false,
		"[Other]\nHidden=true\n[Desktop Entry]\nExec=/a\n":            true,
	} {
		if got := entryEnabled([]byte(text)); got != on {
			t.Errorf("%q: enabled %v, want %v", text, got, on)
		}
	}
}

// argvW splits a command line as CommandLineToArgvW does (the rules of
// the Microsoft C runtime, the program name read up to its closing quote).
func argvW(s string) []string {
	var args []string
	i := 0
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		args = append(args, s[1:1+end])
		i = end + 2
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			return []string{s}
		}
		args, i = append(args, s[:end]), end
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return args
		}
		var b strings.Builder
		quoted := false
		for i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')) {
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				b.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					b.WriteByte('"')
				} else {
					quoted = !quoted
				}
				i++
				continue
			}
			b.WriteString(strings.Repeat(`\`, n))
			if i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')) {
				b.WriteByte(s[i])
				i++
			}
		}
		args = append(args, b.String())
	}
}

func TestRunValue(t *testing.T) {
	for _, c := range []struct {
		exec string
		args []string
		want string
	}{
		{`C:\Users\Jo\AppData\Local\Programs\SellerConnect\SellerConnect.exe`, []string{"--hidden"},
			`"C:\Users\Jo\AppData\Local\Programs\SellerConnect\SellerConnect.exe" --hidden`},
		{`C:\Program Files\SellerConnect\SellerConnect.exe`, []string{"--hidden"},
			`"C:\Program Files\SellerConnect\SellerConnect.exe" --hidden`},
		{`C:\sc.exe`, []string{"--data-dir", `D:\Seller Data\`, "--hidden"},
			`"C:\sc.exe" --data-dir "D:\Seller Data\\" --hidden`},
		{`C:\sc.exe`, []string{`say "hi"`, `a\b`, ""}, `"C:\sc.exe" "say \"hi\"" a\b ""`},
		{`\\server\share\sc.exe`, nil, `"\\server\share\sc.exe"`},
	} {
		it := Item{ID: "io.sellerconnect.app", Name: "SellerConnect", Exec: c.exec, Args: c.args}
		got, err := RunValue(it)
		if err != nil {
			t.Errorf("%q: %v", c.exec, err)
			continue
		}
		if got != c.want {
			t.Errorf("RunValue = %s, want %s", got, c.want)
		}
		if back, w := argvW(got), append([]string{c.exec}, c.args...); strings.Join(back, "\x00") != strings.Join(w, "\x00") {
			t.Errorf("%s reads back as %q, want %q", got, back, w)
		}
	}
	if _, err := RunValue(Item{ID: "io.x", Name: "X", Exec: `sc.exe`}); err == nil {
		t.Error("a relative program was accepted")
	}
}

func TestApprovedOff(t *testing.T) {
	for data, off := range map[string]bool{"": false, "\x02\x00": false, "\x06": false, "\x03\x00": true, "\x07": true} {
		if approvedOff([]byte(data)) != off {
			t.Errorf("%x: off %v", data, !off)
		}
	}
}

// plist is the part of a property list the test reads back.
type plist struct {
	Dict struct {
		Items []struct {
			XMLName xml.Name
			Text    string   `xml:",chardata"`
			Strings []string `xml:"string"`
		} `xml:",any"`
	} `xml:"dict"`
}

func TestLaunchAgent(t *testing.T) {
	it := app
	it.Exec = "/Applications/SellerConnect.app/Contents/MacOS/sellerconnect"
	it.Args = []string{"--data-dir", "/Users/jo/Seller & Co <data>", "--hidden"}
	data, err := LaunchAgent(it)
	if err != nil {
		t.Fatal(err)
	}
	var p plist
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	got := map[string]string{}
	var args []string
	key := ""
	for _, e := range p.Dict.Items {
		switch e.XMLName.Local {
		case "key":
			key = e.Text
		case "array":
			if key == "ProgramArguments" {
				args = e.Strings
			}
			got[key] = "array"
		default:
			got[key] = e.XMLName.Local + ":" + e.Text
		}
	}
	want := map[string]string{"Label": "string:io.sellerconnect.app", "ProgramArguments": "array", "RunAtLoad": "true:",
		"ProcessType": "string:Interactive", "LimitLoadToSessionType": "string:Aqua"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want only %v", got, want)
	}
	if w := append([]string{it.Exec}, it.Args...); strings.Join(args, "|") != strings.Join(w, "|") {
		t.Errorf("ProgramArguments %q, want %q", args, w)
	}
	if !strings.HasPrefix(string(data), `<?xml version="1.0" encoding="UTF-8"?>`) || !strings.Contains(string(data), "<!DOCTYPE plist") {
		t.Errorf("no plist header:\n%s", data)
	}
	if !launchAgentEnabled(data) {
		t.Error("the agent reads as disabled")
	}
	if launchAgentEnabled([]byte(strings.Replace(string(data), "<dict>", "<dict>\n\t<key>Disabled</key>\n\t<true/>", 1))) {
		t.Error("Disabled=true reads as enabled")
	}
}
