package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// appTheme is Fyne's theme with text that can be read:
//   - Fyne draws low-importance labels (a row's provider, hints, the
//     timeline's times) in the "disabled" colour, which on a white window
//     is #e3e3e3, nearly invisible. Here it is a mid grey in both variants,
//     still clearly quieter than the text around it (and disabled controls
//     still look disabled).
//   - In the light variant the status colours (neon green, orange, red)
//     carry white words on the badges and coloured words on white; darker
//     tones keep both readable (contrast about 4.5:1 or more).
type appTheme struct{ fyne.Theme }

var (
	quietLight   = color.NRGBA{R: 0x76, G: 0x76, B: 0x7a, A: 0xff}
	quietDark    = color.NRGBA{R: 0x92, G: 0x92, B: 0x96, A: 0xff}
	successLight = color.NRGBA{R: 0x18, G: 0x80, B: 0x3a, A: 0xff}
	warningLight = color.NRGBA{R: 0xb0, G: 0x5a, B: 0x00, A: 0xff}
	errorLight   = color.NRGBA{R: 0xd0, G: 0x2c, B: 0x2c, A: 0xff}
)

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	dark := v == theme.VariantDark
	switch n {
	case theme.ColorNameDisabled:
		if dark {
			return quietDark
		}
		return quietLight
	case theme.ColorNameSuccess:
		if !dark {
			return successLight
		}
	case theme.ColorNameWarning:
		if !dark {
			return warningLight
		}
	case theme.ColorNameError:
		if !dark {
			return errorLight
		}
	}
	return t.Theme.Color(n, v)
}

// useAppTheme puts appTheme over the app's current theme once.
func useAppTheme(fa fyne.App) {
	s := fa.Settings()
	cur := s.Theme()
	if _, ok := cur.(appTheme); ok {
		return
	}
	if cur == nil {
		cur = theme.DefaultTheme()
	}
	s.SetTheme(appTheme{cur})
}
