package ui

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// trayHost is a StatusNotifierWatcher and host on the session bus: what a
// desktop's tray (KDE's, GNOME's AppIndicator extension, waybar) puts
// there. The test session bus of scripts/testenv.sh has none, so a real
// app there finds no tray; with one, the app's tray item (Fyne's systray,
// over D-Bus) registers here and the test reads its icon as a tray would.
type trayHost struct {
	conn *dbus.Conn

	mu    sync.Mutex
	items []trayItem
}

// trayItem is a registered StatusNotifierItem: its bus name and object.
type trayItem struct {
	sender string
	path   dbus.ObjectPath
}

// startTrayHost claims the watcher's well-known name on a connection of its
// own; stop releases it. It fails when another watcher holds the name.
func startTrayHost() (*trayHost, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, err
	}
	h := &trayHost{conn: conn}
	const path = "/StatusNotifierWatcher"
	if err := conn.Export(h, path, "org.kde.StatusNotifierWatcher"); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := prop.Export(conn, path, prop.Map{"org.kde.StatusNotifierWatcher": {
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitFalse},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitFalse},
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitFalse},
	}}); err != nil {
		conn.Close()
		return nil, err
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("the tray watcher name is taken (reply %v, %v)", reply, err)
	}
	return h, nil
}

func (h *trayHost) stop() { h.conn.Close() }

// RegisterStatusNotifierItem is called by an app's tray item with its
// object path (or its bus name).
func (h *trayHost) RegisterStatusNotifierItem(service string, sender dbus.Sender) *dbus.Error {
	it := trayItem{sender: string(sender), path: "/StatusNotifierItem"}
	if len(service) > 0 && service[0] == '/' {
		it.path = dbus.ObjectPath(service)
	} else if service != "" {
		it.sender = service
	}
	h.mu.Lock()
	h.items = append(h.items, it)
	h.mu.Unlock()
	return nil
}

// RegisterStatusNotifierHost is part of the watcher's interface.
func (h *trayHost) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// waitItem waits until an item has registered and returns the latest.
func (h *trayHost) waitItem(timeout time.Duration) (trayItem, bool) {
	deadline := time.Now().Add(timeout)
	for {
		h.mu.Lock()
		n := len(h.items)
		var it trayItem
		if n > 0 {
			it = h.items[n-1]
		}
		h.mu.Unlock()
		if n > 0 {
			return it, true
		}
		if time.Now().After(deadline) {
			return trayItem{}, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pixmap is one StatusNotifierItem icon: ARGB32, network byte order.
type pixmap struct {
	W, H int32
	Pix  []byte
}

// icon reads the item's IconPixmap property through the bus, as a tray
// draws it.
func (h *trayHost) icon(it trayItem) (pixmap, error) {
	v, err := h.conn.Object(it.sender, it.path).GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		return pixmap{}, err
	}
	var px []pixmap
	if err := v.Store(&px); err != nil {
		return pixmap{}, err
	}
	if len(px) == 0 {
		return pixmap{}, fmt.Errorf("the item shows no pixmap")
	}
	return px[0], nil
}

// pixmapOf is the pixmap a tray item made of a PNG shows.
func pixmapOf(png []byte) pixmap {
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return pixmap{}
	}
	b := img.Bounds()
	px := pixmap{W: int32(b.Dx()), H: int32(b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			// As Fyne's systray converts it (the low byte of each channel).
			r, g, bl, a := img.At(x, y).RGBA()
			px.Pix = append(px.Pix, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return px
}

func (p pixmap) equal(q pixmap) bool { return p.W == q.W && p.H == q.H && bytes.Equal(p.Pix, q.Pix) }
