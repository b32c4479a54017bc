// Package assets holds the files SellerConnect embeds: the built-in provider
// catalog, the pages the loopback receiver shows in the browser, and the icon.
package assets

import _ "embed"

// Providers is the built-in provider catalog (TOML, [providers.ID] tables).
//
//go:embed providers.toml
var Providers []byte

// Icon is the application icon (PNG).
//
//go:embed icon.png
var Icon []byte

// SuccessPage and FailurePage are html/template sources the loopback
// receiver renders after the browser comes back. Their data is a struct with
// Title, Message and Detail strings; html/template escapes each of them.
//
//go:embed pages/success.html
var SuccessPage string

//go:embed pages/failure.html
var FailurePage string
