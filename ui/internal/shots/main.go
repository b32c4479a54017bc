// Command shots opens the real SellerConnect window (Fyne's OpenGL driver,
// on whatever X display DISPLAY names) on the fixture's accounts, sends it
// to each screen in turn and writes a PNG of the window's canvas for each.
// scripts/screenshots.sh runs it under Xvfb in the light and dark themes.
//
//	shots -out docs/screenshots -theme dark
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver"

	"github.com/sellerconnect/sellerconnect/ui"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

type memPrefs struct{ notify, minimised bool }

func (p *memPrefs) Notifications() bool             { return p.notify }
func (p *memPrefs) StartMinimised() bool            { return p.minimised }
func (p *memPrefs) SetNotifications(on bool) error  { p.notify = on; return nil }
func (p *memPrefs) SetStartMinimised(on bool) error { p.minimised = on; return nil }

// shot is one PNG: a screen of the window showing the given accounts.
type shot struct {
	name   string
	empty  bool // the app without accounts
	screen ui.Screen
	arg    string
}

var shots = []shot{
	{name: "main", screen: ui.ScreenList},
	{name: "empty", empty: true, screen: ui.ScreenList},
	{name: "connect-picker", empty: true, screen: ui.ScreenPicker},
	{name: "connect-browser", empty: true, screen: ui.ScreenConnect, arg: "demo"},
	{name: "connect-signin", empty: true, screen: ui.ScreenConnect, arg: "vaultist"},
	{name: "connected", screen: ui.ScreenConnected, arg: "demo-7c1e2a"},
	{name: "details-reconnect", screen: ui.ScreenDetails, arg: "ebay-sandbox-5d20e1"},
	{name: "details-offline", screen: ui.ScreenDetails, arg: "vaultist-c4e9d0"},
	{name: "settings", screen: ui.ScreenSettings},
}

func main() {
	out := flag.String("out", "docs/screenshots", "folder for the PNGs")
	variant := flag.String("theme", "light", "light or dark")
	only := flag.String("only", "", "take only the shot with this name")
	settle := flag.Duration("settle", 600*time.Millisecond, "wait after each change before capturing")
	flag.Parse()
	if *variant != "light" && *variant != "dark" {
		fmt.Fprintln(os.Stderr, "shots: -theme is light or dark")
		os.Exit(2)
	}
	// Fyne reads these when the app starts.
	os.Setenv("FYNE_THEME", *variant)
	os.Setenv("FYNE_SCALE", "1")
	time.Local = time.UTC
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "shots:", err)
		os.Exit(1)
	}

	fa := app.NewWithID(ui.AppID + ".screenshots")
	// A desktop with a notification service, as most have (Xvfb has none).
	no, yes := false, true
	opts := ui.Options{
		DataDir: "/home/seller/.config/SellerConnect", Version: "0.1.0", Tray: &no, Notifications: &yes,
		Now: func() time.Time { return fixture.Now }, Prefs: &memPrefs{notify: true},
	}
	full := ui.New(fa, fixture.WithStates(), opts)
	empty := ui.New(fa, fixture.New(), opts)
	full.Start()
	empty.Start()

	code := 0
	fa.Lifecycle().SetOnStarted(func() {
		go func() {
			defer fyne.Do(fa.Quit)
			// Keep the pointer off the window: a hovered row or button is
			// highlighted.
			_ = exec.Command("xdotool", "mousemove", "4000", "4000").Run()
			for _, s := range shots {
				if *only != "" && s.name != *only {
					continue
				}
				a, other := full, empty
				if s.empty {
					a, other = empty, full
				}
				var err error
				fyne.DoAndWait(func() {
					other.Window().Hide()
					a.Window().Show()
					err = a.Show(s.screen, s.arg)
				})
				if err != nil {
					fmt.Fprintf(os.Stderr, "shots: %s: %v\n", s.name, err)
					code = 1
					return
				}
				time.Sleep(*settle)
				path := filepath.Join(*out, s.name+"-"+*variant+".png")
				if err := capture(a.Window(), path); err != nil {
					fmt.Fprintln(os.Stderr, "shots:", err)
					code = 1
					return
				}
				fmt.Println(path)
			}
		}()
	})
	full.Window().ShowAndRun()
	full.Close()
	empty.Close()
	os.Exit(code)
}

// capture writes what the X server shows of the window to path, with
// ImageMagick's import. (The OpenGL driver's Canvas().Capture reads the
// front buffer, which Mesa's software renderer on Xvfb leaves black.)
func capture(w fyne.Window, path string) error {
	var id uintptr
	fyne.DoAndWait(func() {
		if nw, ok := w.(driver.NativeWindow); ok {
			nw.RunNative(func(ctx any) {
				if x, ok := ctx.(driver.X11WindowContext); ok {
					id = x.WindowHandle
				}
			})
		}
	})
	if id == 0 {
		return fmt.Errorf("%s: the window is not an X11 window", path)
	}
	out, err := exec.Command("import", "-window", fmt.Sprintf("0x%x", id), "-strip", "png:"+path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: import: %v: %s", path, err, out)
	}
	return nil
}
