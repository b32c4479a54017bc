package assets

import (
	"embed"
	"strings"
)

// The provider marks are simple drawings of our own (a coloured rounded
// square with an initial or a glyph), not the marketplaces' logos.
//
//go:embed marks/*.svg
var marks embed.FS

// MarkNames lists the marketplaces that have a mark of their own.
var MarkNames = []string{"demo", "depop", "ebay", "smartthings", "vaultist"}

// Mark returns the SVG mark for a marketplace (a profile's Marketplace, or
// its ID), and the generic mark for anything else, such as custom providers.
func Mark(marketplace string) (name string, svg []byte) {
	key := strings.ToLower(marketplace)
	for _, n := range MarkNames {
		if key == n || strings.HasPrefix(key, n+"-") {
			b, err := marks.ReadFile("marks/" + n + ".svg")
			if err == nil {
				return n, b
			}
		}
	}
	b, _ := marks.ReadFile("marks/generic.svg")
	return "generic", b
}
