package autostart

import (
	"bytes"
	"encoding/xml"
	"regexp"
)

// LaunchAgent is the property list of a per-user LaunchAgent
// (~/Library/LaunchAgents/<ID>.plist) that runs it once at login
// (RunAtLoad, no KeepAlive: quitting the app ends it until the next login),
// in the user's graphical session only.
func LaunchAgent(it Item) ([]byte, error) {
	if err := it.check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	str := func(indent, s string) {
		b.WriteString(indent + "<string>")
		xml.EscapeText(&b, []byte(s))
		b.WriteString("</string>\n")
	}
	b.WriteString("\t<key>Label</key>\n")
	str("\t", it.ID)
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{it.Exec}, it.Args...) {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>ProcessType</key>\n")
	str("\t", "Interactive")
	b.WriteString("\t<key>LimitLoadToSessionType</key>\n")
	str("\t", "Aqua")
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes(), nil
}

// agentDisabled matches a plist whose Disabled key is true (launchd then
// skips it).
var agentDisabled = regexp.MustCompile(`<key>\s*Disabled\s*</key>\s*<true\s*/>`)

func launchAgentEnabled(data []byte) bool { return !agentDisabled.Match(data) }
