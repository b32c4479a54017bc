package ui

import (
	"sync"

	"fyne.io/fyne/v2"

	"github.com/sellerconnect/sellerconnect/assets"
)

var (
	markMu    sync.Mutex
	markCache = map[string]fyne.Resource{}
)

// markFor returns the provider mark for a marketplace or profile id, shared
// by every row so 10,000 rows hold a handful of images.
func markFor(marketplace string) fyne.Resource {
	name, svg := assets.Mark(marketplace)
	markMu.Lock()
	defer markMu.Unlock()
	if r, ok := markCache[name]; ok {
		return r
	}
	r := fyne.NewStaticResource("mark-"+name+".svg", svg)
	markCache[name] = r
	return r
}
