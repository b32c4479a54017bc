package ui

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// Real-window tests run the app on Fyne's OpenGL driver, in a GLFW window
// on the X display of scripts/testenv.sh, in a child process: this test
// binary started again with realEnv naming a scenario. The scenario runs
// in the child beside the driver's event loop and presses buttons either
// with real pointer clicks (xdotool, at the button's place in the window)
// or through their tap handlers on the UI goroutine (fyne.DoAndWait); the
// real driver draws every dialog and page that results. The parent fails
// the test when the child panics, dies, reports a race, loses its window
// or ends without saying "done".

const (
	realEnv   = "SELLERCONNECT_UI_REAL"       // the scenario's name
	realInput = "SELLERCONNECT_UI_REAL_INPUT" // "click" (xdotool) or "tap"
	realDir   = "SELLERCONNECT_UI_REAL_DIR"   // a folder the scenario may use
)

// realScenario drives the app in a child process; it runs on its own
// goroutine and ends the process through r.fail on a failure.
type realScenario struct {
	// backend builds the accounts the app shows.
	backend func() Backend
	run     func(r *realRun)
	// tray pretends a system tray exists (Options.Tray).
	tray bool
	// fynePrefs keeps the switches in the Fyne app's own preferences file
	// (what the shipped app does) instead of in memory.
	fynePrefs bool
	// options adjusts the app's options.
	options func(*Options)
}

var realScenarios = map[string]realScenario{}

// realRun is one scenario's hold on the running app.
type realRun struct {
	a     *App
	be    Backend
	click bool
	dir   string
	winID uintptr
	start time.Time

	mu       sync.Mutex
	presses  int
	dialogs  int
	finished bool
}

// realChild runs a scenario when the test binary is started as a
// real-window child; it reports false otherwise. It runs on the main
// goroutine (TestMain), as the OpenGL driver needs.
func realChild() (int, bool) {
	name := os.Getenv(realEnv)
	if name == "" {
		return 0, false
	}
	sc, ok := realScenarios[name]
	if !ok {
		fmt.Fprintln(os.Stderr, "no real-window scenario", name)
		return 2, true
	}
	be := fixture.WithStates()
	var backend Backend = be
	if sc.backend != nil {
		backend = sc.backend()
	}
	fa := app.NewWithID("io.sellerconnect.test.real." + name)
	tray, notify := sc.tray, true
	opts := Options{
		DataDir: os.Getenv(realDir), Tray: &tray, Notifications: &notify, Prefs: &memPrefs{notify: true}, Version: "0.1.0",
		Now: func() time.Time { return fixture.Now },
	}
	if sc.fynePrefs {
		opts.Prefs = nil
	}
	if sc.options != nil {
		sc.options(&opts)
	}
	a := New(fa, backend, opts)
	a.Start()
	defer a.Close()
	r := &realRun{a: a, be: backend, click: os.Getenv(realInput) == "click", dir: os.Getenv(realDir), start: time.Now()}
	fa.Lifecycle().SetOnStarted(func() {
		go func() {
			r.waitWindow()
			sc.run(r)
			if !r.finished {
				r.finish()
			}
			fyne.Do(fa.Quit)
		}()
	})
	a.win.ShowAndRun()
	return 0, true
}

// fail ends the child with a message the parent shows.
func (r *realRun) fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(3)
}

// logf prints a step with the time since the child started.
func (r *realRun) logf(format string, args ...any) {
	fmt.Printf("%6dms "+format+"\n", append([]any{time.Since(r.start).Milliseconds()}, args...)...)
}

// waitWindow waits until the X server shows the app's window and learns
// its X id.
func (r *realRun) waitWindow() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		fyne.DoAndWait(func() {
			if nw, ok := r.a.win.(driver.NativeWindow); ok {
				nw.RunNative(func(ctx any) {
					if x, ok := ctx.(driver.X11WindowContext); ok {
						r.winID = x.WindowHandle
					}
				})
			}
		})
		if r.winID != 0 && r.windowShown() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.fail("the window did not appear on the X display")
}

// windowShown asks the X server whether the app's window is mapped.
func (r *realRun) windowShown() bool {
	out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+AppName+"$").Output()
	if err != nil {
		return false
	}
	for _, f := range strings.Fields(string(out)) {
		if id, err := strconv.ParseUint(f, 10, 64); err == nil && uintptr(id) == r.winID {
			return true
		}
	}
	return false
}

// ui runs f on the UI goroutine and waits for it.
func (r *realRun) ui(f func()) { fyne.DoAndWait(f) }

// settle lets the driver draw what the last press changed, then checks the
// window is still there.
func (r *realRun) settle() {
	time.Sleep(120 * time.Millisecond)
	r.ui(func() {})
	if !r.windowShown() {
		r.fail("the window is gone")
	}
}

// realTarget is something found on screen: the object holding the text and
// the nearest tappable object around it.
type realTarget struct {
	obj fyne.CanvasObject
	tap fyne.Tappable
}

// find looks for a visible button, check, menu item or text showing
// exactly text on the topmost layer (a dialog, a menu, or else the page):
// what a seller could press. UI goroutine only.
func (r *realRun) find(text string) (realTarget, bool) {
	roots := everything(r.a.win.Canvas())
	var found realTarget
	visibleWalk(roots[len(roots)-1], nil, func(o fyne.CanvasObject, tap fyne.Tappable) bool {
		match := false
		switch x := o.(type) {
		case *widget.Button:
			match = x.Text == text
		case *widget.Check:
			match = x.Text == text
		case *canvas.Text:
			match = x.Text == text
		}
		if match && tap != nil {
			found = realTarget{obj: o, tap: tap}
			return false
		}
		return true
	})
	return found, found.obj != nil
}

// visibleWalk visits the visible objects under o with the nearest tappable
// around each (the object itself included), through containers and widget
// renderers, until visit returns false.
func visibleWalk(o fyne.CanvasObject, tap fyne.Tappable, visit func(fyne.CanvasObject, fyne.Tappable) bool) bool {
	if o == nil || !o.Visible() {
		return true
	}
	// A dialog's own tap handler (outside its content) presses nothing.
	if t, ok := o.(fyne.Tappable); ok {
		if _, popup := o.(*widget.PopUp); !popup {
			tap = t
		}
	}
	if !visit(o, tap) {
		return false
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			if !visibleWalk(c, tap, visit) {
				return false
			}
		}
	case fyne.Widget:
		for _, c := range rendererObjects(x) {
			if !visibleWalk(c, tap, visit) {
				return false
			}
		}
	}
	return true
}

// onScreen reports whether a visible label or text contains s. UI
// goroutine only.
func onScreen(c fyne.Canvas, s string) bool {
	found := false
	for _, root := range everything(c) {
		visibleWalk(root, nil, func(o fyne.CanvasObject, _ fyne.Tappable) bool {
			switch x := o.(type) {
			case *widget.Label:
				found = strings.Contains(x.Text, s)
			case *canvas.Text:
				found = strings.Contains(x.Text, s)
			}
			return !found
		})
		if found {
			break
		}
	}
	return found
}

// shows reports whether some visible text on screen contains s.
func (r *realRun) shows(s string) bool {
	found := false
	r.ui(func() { found = onScreen(r.a.win.Canvas(), s) })
	return found
}

// expect waits until s is on screen.
func (r *realRun) expect(s string) {
	deadline := time.Now().Add(15 * time.Second)
	for !r.shows(s) {
		if time.Now().After(deadline) {
			r.fail("%q did not appear", s)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// expectGone waits until s is no longer on screen.
func (r *realRun) expectGone(s string) {
	deadline := time.Now().Add(15 * time.Second)
	for r.shows(s) {
		if time.Now().After(deadline) {
			r.fail("%q stayed on screen", s)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// dialog waits for a dialog showing title and counts it.
func (r *realRun) dialog(title string) {
	r.expect(title)
	r.mu.Lock()
	r.dialogs++
	r.mu.Unlock()
	r.logf("dialog %s", title)
}

// press waits for the button (or menu item, or check) labelled text and
// presses it: a pointer click at its centre in click mode, its tap handler
// otherwise (and for objects scrolled out of sight).
func (r *realRun) press(text string) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		var t realTarget
		var ok, disabled bool
		var x, y float32
		var inside bool
		r.ui(func() {
			t, ok = r.find(text)
			if !ok {
				return
			}
			if d, can := t.tap.(fyne.Disableable); can && d.Disabled() {
				disabled = true
				return
			}
			if !r.click {
				return
			}
			c := r.a.win.Canvas()
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(t.obj)
			size := t.obj.Size()
			if c, ok := t.obj.(*widget.Check); ok {
				// A check takes taps on its box and text only, not on the
				// space a layout stretched it across.
				size.Width = fyne.Min(size.Width, c.MinSize().Width)
			}
			x, y = pos.X+size.Width/2, pos.Y+size.Height/2
			cs := c.Size()
			inside = x > 0 && y > 0 && x < cs.Width && y < cs.Height
			x, y = x*c.Scale(), y*c.Scale()
		})
		if ok && !disabled {
			if r.click && inside {
				out, err := exec.Command("xdotool", "mousemove", "--window", fmt.Sprint(r.winID),
					fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "1").CombinedOutput()
				if err != nil {
					r.fail("xdotool: %v: %s", err, out)
				}
				r.logf("click %s", text)
			} else {
				r.ui(func() { tapTarget(t) })
				r.logf("tap %s", text)
			}
			r.mu.Lock()
			r.presses++
			r.mu.Unlock()
			r.settle()
			return
		}
		if time.Now().After(deadline) {
			if disabled {
				r.fail("%q stays disabled", text)
			}
			r.fail("no %q to press", text)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

func tapTarget(t realTarget) {
	ev := &fyne.PointEvent{Position: fyne.NewPos(1, 1)}
	if o, ok := t.tap.(fyne.CanvasObject); ok {
		ev.AbsolutePosition = fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Add(ev.Position)
	}
	t.tap.Tapped(ev)
}

// realResult is what a child run printed.
type realResult struct {
	dir     string // the child's HOME and data folder
	lines   []string
	presses int
	dialogs int
}

// runReal runs a scenario in a child process on the real driver and fails
// the test when the child does not end cleanly.
func runReal(t *testing.T, scenario, input string, env ...string) realResult {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		t.Skip("needs an X display: run under scripts/testenv.sh")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("needs xdotool")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), realEnv+"="+scenario, realInput+"="+input, realDir+"="+dir,
		// Its own home and Fyne preferences: children never share a file.
		"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "FYNE_SCALE=1", "FYNE_THEME=light")
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	res := realResult{dir: dir}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		res.lines = append(res.lines, sc.Text())
	}
	werr := cmd.Wait()
	tail := func() string {
		l := res.lines
		if len(l) > 15 {
			l = l[len(l)-15:]
		}
		e := stderr.String()
		if len(e) > 6000 {
			e = e[:6000] + "…"
		}
		return "last steps:\n  " + strings.Join(l, "\n  ") + "\nstderr:\n" + e
	}
	var done string
	for _, l := range res.lines {
		if strings.HasPrefix(l, "FAIL: ") {
			t.Fatalf("%s (%s): %s\n%s", scenario, input, l, tail())
		}
		if strings.HasPrefix(l, "done ") {
			done = l
		}
	}
	se := stderr.String()
	switch {
	case strings.Contains(se, "panic:") || strings.Contains(se, "fatal error:") || strings.Contains(se, "SIGSEGV"):
		t.Fatalf("%s (%s): the app crashed\n%s", scenario, input, tail())
	case strings.Contains(se, "DATA RACE"):
		t.Fatalf("%s (%s): the race detector reported a race\n%s", scenario, input, tail())
	case ctx.Err() != nil:
		t.Fatalf("%s (%s): the window process did not end within its time\n%s", scenario, input, tail())
	case werr != nil:
		t.Fatalf("%s (%s): the window process ended with %v\n%s", scenario, input, werr, tail())
	case done == "":
		t.Fatalf("%s (%s): the window process ended without finishing\n%s", scenario, input, tail())
	}
	fmt.Sscanf(done, "done presses=%d dialogs=%d", &res.presses, &res.dialogs)
	if e := fyneErrors(se); e != "" {
		t.Fatalf("%s (%s): Fyne logged errors:\n%s\nstderr:\n%s", scenario, input, e, se)
	}
	return res
}

// knownFyneErrors are logged by Fyne itself and say nothing about the app:
// the file dialog's favourites want folders such as Videos that a
// temporary home lacks; Fyne's preferences file watcher can read the file
// while Fyne itself rewrites it, and finds it empty (EOF).
var knownFyneErrors = [][]string{{"Getting favorite locations"}, {"Preferences load error", "Cause: EOF"}}

// fyneErrors returns the errors Fyne logged (fyne.LogError: a "Fyne error:"
// line and its Cause and At lines), leaving out the known ones.
func fyneErrors(stderr string) string {
	var out []string
	lines := strings.Split(stderr, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(lines[i], "Fyne error:") {
			continue
		}
		block := []string{lines[i]}
		for i+1 < len(lines) && (strings.Contains(lines[i+1], "  Cause:") || strings.Contains(lines[i+1], "  At:")) {
			i++
			block = append(block, lines[i])
		}
		known := false
		text := strings.Join(block, "\n")
		for _, k := range knownFyneErrors {
			all := true
			for _, part := range k {
				all = all && strings.Contains(text, part)
			}
			known = known || all
		}
		if !known {
			out = append(out, block...)
		}
	}
	return strings.Join(out, "\n")
}

func rendererObjects(w fyne.Widget) []fyne.CanvasObject { return test.WidgetRenderer(w).Objects() }
