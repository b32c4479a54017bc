package ui

import (
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

func TestMain(m *testing.M) {
	// Started again by BenchmarkWindow as a window process.
	if code, ok := benchChild(); ok {
		os.Exit(code)
	}
	// Golden markup holds formatted times: pin the zone.
	time.Local = time.UTC
	// Started again by a real-window test.
	if code, ok := realChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

type memPrefs struct{ notify, minimised bool }

func (p *memPrefs) Notifications() bool             { return p.notify }
func (p *memPrefs) StartMinimised() bool            { return p.minimised }
func (p *memPrefs) SetNotifications(on bool) error  { p.notify = on; return nil }
func (p *memPrefs) SetStartMinimised(on bool) error { p.minimised = on; return nil }

// newTestApp builds the app on Fyne's test driver with a fixed clock.
func newTestApp(t *testing.T, be Backend) *App {
	t.Helper()
	return newTestAppWith(t, be, nil)
}

// newTestAppWith is newTestApp with the options adjusted by edit.
func newTestAppWith(t *testing.T, be Backend, edit func(*Options)) *App {
	t.Helper()
	test.NewTempApp(t)
	no, yes := false, true
	opts := Options{
		DataDir: "/home/seller/.config/SellerConnect", Now: func() time.Time { return fixture.Now },
		Prefs: &memPrefs{notify: true}, Tray: &no, Notifications: &yes, Version: "0.1.0",
	}
	if edit != nil {
		edit(&opts)
	}
	a := New(fyne.CurrentApp(), be, opts)
	a.win.Resize(fyne.NewSize(880, 600))
	// The test driver's fyne.Do runs f on the calling goroutine; queue it
	// instead and run it on the test goroutine, like the real UI thread.
	q := make(chan func(), 1024)
	a.do = func(f func()) { q <- f }
	pumps[a] = q
	t.Cleanup(func() { delete(pumps, a); a.Close() })
	return a
}

var pumps = map[*App]chan func(){}

// pump runs the app's queued UI work on the test goroutine until cond holds.
func pump(t *testing.T, a *App, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case f := <-pumps[a]:
			f()
		case <-deadline:
			t.Fatal("timed out waiting for the UI")
		}
	}
}

// walk visits every object under o, through containers and widget renderers.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if o == nil {
		return true
	}
	if !visit(o) {
		return false
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			if !walk(c, visit) {
				return false
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if !walk(c, visit) {
				return false
			}
		}
	}
	return true
}

// everything lists the roots of a canvas: its content and overlays, top last.
func everything(c fyne.Canvas) []fyne.CanvasObject {
	return append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...)
}

// button finds a visible button by its text, preferring the top overlay.
func button(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	roots := everything(c)
	for i := len(roots) - 1; i >= 0; i-- {
		var found *widget.Button
		walk(roots[i], func(o fyne.CanvasObject) bool {
			if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
				found = b
				return false
			}
			return true
		})
		if found != nil {
			return found
		}
	}
	t.Fatalf("no button %q on screen", text)
	return nil
}

// hasText reports whether a label or text on screen contains s.
func hasText(c fyne.Canvas, s string) bool {
	found := false
	for _, r := range everything(c) {
		walk(r, func(o fyne.CanvasObject) bool {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, s) {
				found = true
			}
			return !found
		})
	}
	return found
}
