package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/sellerconnect/sellerconnect/accounts"
)

// maxTimeline bounds the entries drawn; the report carries them all.
const maxTimeline = 40

// maxShownValue bounds one value drawn in the timeline, in characters
// (runes, so a character is never cut in half); the report has it whole.
const maxShownValue = 1200

// cutMark is what the service appends to a body it shortened.
const cutMark = "…(cut)"

// live is a set of labels whose words depend on the time ("12 s ago"),
// updated in place while their page is shown.
type live struct{ items []liveItem }

type liveItem struct {
	l    *widget.Label
	text func(now time.Time) string
}

// add binds l to text and sets it for now.
func (s *live) add(l *widget.Label, now time.Time, text func(time.Time) string) {
	l.Text = text(now)
	if s != nil {
		s.items = append(s.items, liveItem{l, text})
	}
}

// tick rewrites the labels whose words changed.
func (s *live) tick(now time.Time) {
	if s == nil {
		return
	}
	for _, it := range s.items {
		if t := it.text(now); t != it.l.Text {
			it.l.SetText(t)
		}
	}
}

// ago says how far t is from now, the way the timeline shows it.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < -time.Second:
		return "in " + humanDuration(-d)
	case d < 2*time.Second:
		return "just now"
	}
	return humanDuration(d) + " ago"
}

// triggerWords names what started an exchange (the service's "trigger").
func triggerWords(t string) string {
	switch t {
	case "":
		return ""
	case "scheduled refresh":
		return "a scheduled refresh"
	case "a token request":
		return t
	case "Refresh now", "Connect", "Reconnect", "Test connection", "Disconnect":
		return "the " + t + " button"
	}
	return t
}

// timelineSection lists the newest entries first: when, what happened, what
// caused it, and for an exchange with the provider what was sent and what
// came back, decoded for reading (form fields one per line, JSON indented).
// Relative times go into set, which keeps them current.
func timelineSection(entries []accounts.Entry, now time.Time, set *live) fyne.CanvasObject {
	h := widget.NewLabelWithStyle("Timeline", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.Importance = widget.HighImportance
	box := container.NewVBox(h)
	if len(entries) == 0 {
		box.Add(widget.NewLabel("Nothing recorded yet."))
		return box
	}
	n := 0
	for i := len(entries) - 1; i >= 0 && n < maxTimeline; i-- {
		n++
		box.Add(timelineEntry(entries[i], now, set))
	}
	if len(entries) > maxTimeline {
		more := widget.NewLabel(fmt.Sprintf("%d older entries are in the report.", len(entries)-maxTimeline))
		more.Importance = widget.LowImportance
		box.Add(more)
	}
	return box
}

func timelineEntry(e accounts.Entry, now time.Time, set *live) fyne.CanvasObject {
	at := e.Time
	when := widget.NewLabel(at.Local().Format("2 Jan 15:04:05"))
	when.Importance = widget.LowImportance
	kind := widget.NewLabelWithStyle(capitalise(e.Kind), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	summary := widget.NewLabel(readable(e.Summary, maxShownValue))
	summary.Wrapping = fyne.TextWrapWord
	summary.Selectable = true

	trigger, _ := e.Detail["trigger"].(string)
	meta := widget.NewLabel("")
	meta.Importance = widget.LowImportance
	meta.SizeName = theme.SizeNameCaptionText
	set.add(meta, now, func(now time.Time) string {
		s := ago(at, now)
		if w := triggerWords(trigger); w != "" {
			s += " · caused by " + w
		}
		return s
	})
	lines := container.NewVBox(summary, meta)
	if rows := detailRows(e.Detail, e.Summary); len(rows) > 0 {
		form := container.New(layout.NewFormLayout())
		for _, r := range rows {
			k := widget.NewLabel(r.k)
			k.Importance = widget.LowImportance
			k.SizeName = theme.SizeNameCaptionText
			v := widget.NewLabelWithStyle(r.v, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			v.Wrapping = fyne.TextWrapBreak
			v.Selectable = true
			v.SizeName = theme.SizeNameCaptionText
			form.Add(k)
			form.Add(v)
		}
		lines.Add(form)
	}
	return container.NewBorder(nil, nil, container.NewVBox(when, kind), nil, lines)
}

// exchangeRows are the request line and the answer (status, time taken),
// unless the summary tells them already.
func exchangeRows(text func(string) string, summary string) []row {
	var rows []row
	m, u := text("method"), text("url")
	told := u != "" && strings.Contains(summary, u)
	if (m != "" || u != "") && !told {
		rows = append(rows, row{k: "Request", v: strings.TrimSpace(m + " " + readableURL(u))})
	}
	answer := text("status")
	if answer == "0" {
		answer = "no answer"
	}
	if ms := text("latency_ms"); ms != "" {
		answer = strings.TrimSpace(answer + " in " + ms + " ms")
	} else if l := text("latency"); l != "" {
		answer = strings.TrimSpace(answer + " in " + l)
	}
	if answer != "" && !told {
		rows = append(rows, row{k: "Answer", v: answer})
	}
	return rows
}

// detailRows turns an entry's detail into labelled values: the exchange
// first (request line, status, time taken) unless the summary says it
// already, then the headers and bodies decoded, then whatever else the
// service recorded. Values are already redacted by the service.
func detailRows(d map[string]any, summary string) []row {
	if len(d) == 0 {
		return nil
	}
	used := map[string]bool{"trigger": true}
	text := func(k string) string {
		v, ok := d[k]
		if !ok || v == nil {
			return ""
		}
		used[k] = true
		return valueText(v)
	}
	rows := exchangeRows(text, summary)
	for _, f := range []struct{ key, label string }{
		{"error", "Error"}, {"code", "Error code"}, {"description", "Description"},
		{"request_id", "Request id"}, {"trace_id", "Trace id"}, {"retry_after", "Retry after"}, {"advice", "Advice"},
	} {
		if v := text(f.key); v != "" {
			rows = append(rows, row{k: f.label, v: readable(v, maxShownValue)})
		}
	}
	if h, ok := d["request_headers"].(map[string]any); ok {
		used["request_headers"] = true
		rows = append(rows, row{k: "Request headers", v: headerLines(h)})
	}
	if b := text("request_body"); b != "" {
		rows = append(rows, row{k: "Request body", v: bodyText(b)})
	}
	if b := text("response_body"); b != "" {
		rows = append(rows, row{k: "Response body", v: bodyText(b)})
	}
	var rest []string
	for k := range d {
		if !used[k] && k != "op" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		rows = append(rows, row{k: capitalise(strings.ReplaceAll(k, "_", " ")), v: readable(valueText(d[k]), maxShownValue)})
	}
	return rows
}

// valueText is a detail value as a person reads it: strings as they are,
// numbers plainly, anything else as indented JSON without HTML escapes.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprint(x)
	case int, int64, bool, json.Number:
		return fmt.Sprint(x)
	}
	return prettyJSON(v)
}

func prettyJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(b.String(), "\n")
}

func headerLines(h map[string]any) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		v := h[k]
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for j, p := range list {
				parts[j] = valueText(p)
			}
			v = strings.Join(parts, ", ")
		}
		b.WriteString(k + ": " + readable(valueText(v), 300))
	}
	return b.String()
}

// bodyText decodes a request or response body for reading: JSON indented
// with its escapes resolved, a form body one field a line with its
// percent-escapes resolved, anything else as text. A body the service cut
// says so.
func bodyText(s string) string {
	cut := strings.HasSuffix(s, cutMark)
	s = strings.TrimSuffix(s, cutMark)
	s = strings.ToValidUTF8(s, "") // a cut can leave half a character
	out := s
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "{") || strings.HasPrefix(t, "["):
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			out = prettyJSON(v)
		}
	case looksLikeForm(t):
		if q, err := url.ParseQuery(t); err == nil {
			out = formLines(t, q)
		}
	}
	out = readable(out, maxShownValue)
	if cut {
		out += "\n… (longer: the report has what was kept)"
	}
	return out
}

// looksLikeForm reports whether s is key=value pairs joined by &.
func looksLikeForm(s string) bool {
	if s == "" || strings.ContainsAny(s, " \n{}\"") {
		return false
	}
	for _, p := range strings.Split(s, "&") {
		if !strings.Contains(p, "=") {
			return false
		}
	}
	return true
}

// formLines lists a form's fields in the order they were sent.
func formLines(raw string, q url.Values) string {
	var lines []string
	seen := map[string]int{}
	for _, p := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		vals := q[key]
		i := seen[key]
		seen[key]++
		if i < len(vals) {
			lines = append(lines, key+": "+vals[i])
		}
	}
	return strings.Join(lines, "\n")
}

// readableURL resolves percent-escapes in an address's query for reading.
func readableURL(u string) string {
	base, query, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	if q, err := url.QueryUnescape(query); err == nil {
		return base + "?" + q
	}
	return u
}

// readable makes text safe to draw: invalid UTF-8 dropped, and at most max
// characters, never cut inside one.
func readable(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// capitalise puts the first letter in upper case ("status" → "Status").
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}
