package ui

import (
	"bytes"
	"image"
	"image/png"
	"sync"

	"fyne.io/fyne/v2"
	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"

	"github.com/sellerconnect/sellerconnect/assets"
)

var (
	markMu    sync.Mutex
	markCache = map[string]fyne.Resource{}
)

// markPixels is the size marks are drawn at: the largest mark shown (48)
// at twice the pixels, for HiDPI screens; the window scales them down.
// Every row's image decodes it, so larger costs start-up time.
const markPixels = 96

// markFor returns the provider mark for a marketplace or profile id, shared
// by every row so 10,000 rows hold a handful of images.
func markFor(marketplace string) fyne.Resource {
	name, svg := assets.Mark(marketplace)
	markMu.Lock()
	defer markMu.Unlock()
	if r, ok := markCache[name]; ok {
		return r
	}
	var r fyne.Resource
	if b, err := renderMark(svg, markPixels); err == nil {
		r = fyne.NewStaticResource("mark-"+name+".png", b)
	} else {
		r = fyne.NewStaticResource("mark-"+name+".svg", svg)
	}
	markCache[name] = r
	return r
}

// renderMark draws an SVG mark as a square PNG. Fyne's SVG rasterizer
// takes stroke widths in output pixels instead of the drawing's units, so
// a mark drawn at 24 px came out as a blot of letter and one at 128 px as
// a hairline; here the widths are scaled with the drawing.
func renderMark(svg []byte, size int) ([]byte, error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg))
	if err != nil {
		return nil, err
	}
	w := icon.ViewBox.W
	if w <= 0 {
		w = float64(size)
	}
	k := float64(size) / w
	for i := range icon.SVGPaths {
		icon.SVGPaths[i].LineWidth *= k
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	scanner := rasterx.NewScannerGV(size, size, img, img.Bounds())
	icon.Draw(rasterx.NewDasher(size, size, scanner), 1)
	var buf bytes.Buffer
	// Small and decoded at once: speed matters more than bytes.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
