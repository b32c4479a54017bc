package oauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/sellerconnect/sellerconnect/assets"
)

// BuiltinSource is the Source of profiles from the embedded catalog.
const BuiltinSource = "built-in"

// Catalog is the set of provider profiles the app knows: the built-in ones,
// then those from the integrator's provider files.
type Catalog struct {
	profiles map[string]*Profile
	builtin  []string // embedded file order
	custom   []string
	// disabled holds, per provider ID, the problems of the files that
	// failed to define or change it.
	disabled map[string][]error
}

// CatalogError is a provider file problem, located for the person editing it.
type CatalogError struct {
	File     string // path, or "built-in"
	Line     int    // 0 when unknown
	Provider string // the [providers.ID] the problem is in, if any
	Field    string // TOML key path inside the provider, for example "redirect.port"
	Err      error
}

func (e *CatalogError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	switch {
	case e.Provider != "" && e.Field != "":
		fmt.Fprintf(&b, "providers.%s.%s: ", e.Provider, e.Field)
	case e.Provider != "":
		fmt.Fprintf(&b, "providers.%s: ", e.Provider)
	case e.Field != "":
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *CatalogError) Unwrap() error { return e.Err }

// LoadCatalog reads the built-in catalog and then every *.toml file in
// userDir (which may be empty or missing). A file's [providers.ID] table
// changes only the keys it names when ID is already known, and adds a
// provider otherwise. Each problem is returned as a *CatalogError and leaves
// the rest loaded, but disables the providers it concerns (see Disabled):
// an invalid [providers.ID] table disables ID; a file that is not valid
// TOML disables every ID whose [providers.ID...] header its text shows (and
// nothing when none can be found). A disabled provider is not offered by
// Get or List, so no request goes out with half of a file applied, and a
// built-in profile never stands in for an override that failed.
func LoadCatalog(userDir string) (*Catalog, []error) {
	c, errs := loadBuiltin()
	if userDir == "" {
		return c, errs
	}
	files, err := filepath.Glob(filepath.Join(userDir, "*.toml"))
	if err != nil {
		return c, append(errs, &CatalogError{File: userDir, Err: err})
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &CatalogError{File: f, Err: err})
			continue
		}
		errs = append(errs, c.load(f, data, false)...)
	}
	return c, errs
}

var builtinOnce struct {
	sync.Once
	c    *Catalog
	errs []error
}

// loadBuiltin returns a fresh copy of the embedded catalog, which is read
// once per process.
func loadBuiltin() (*Catalog, []error) {
	builtinOnce.Do(func() {
		c := &Catalog{profiles: map[string]*Profile{}}
		builtinOnce.errs = c.load(BuiltinSource, assets.Providers, true)
		builtinOnce.c = c
	})
	return builtinOnce.c.copy(), append([]error(nil), builtinOnce.errs...)
}

// disable marks id unusable because of err.
func (c *Catalog) disable(id string, err error) {
	if c.disabled == nil {
		c.disabled = map[string][]error{}
	}
	c.disabled[id] = append(c.disabled[id], err)
}

// headerIDs finds, in the text of a file that does not parse, the IDs of
// its [providers.ID] and [[providers.ID.x]] headers.
var headerIDs = regexp.MustCompile(`(?m)^[ \t]*\[\[?[ \t]*providers[ \t]*\.[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([A-Za-z0-9_-]+))`)

func providerHeaders(data []byte) []string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range headerIDs.FindAllSubmatch(data, -1) {
		id := string(m[1]) + string(m[2]) + string(m[3])
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// copy returns a catalog that shares nothing changeable with c.
func (c *Catalog) copy() *Catalog {
	out := &Catalog{profiles: make(map[string]*Profile, len(c.profiles)),
		builtin: append([]string(nil), c.builtin...), custom: append([]string(nil), c.custom...)}
	for id, p := range c.profiles {
		out.profiles[id] = p.clone()
	}
	for id, errs := range c.disabled {
		out.disable(id, nil)
		out.disabled[id] = append([]error(nil), errs...)
	}
	return out
}

func (c *Catalog) load(file string, data []byte, builtin bool) []error {
	var doc struct {
		Providers map[string]toml.Primitive `toml:"providers"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		ce := tomlError(file, data, "", err)
		for _, id := range providerHeaders(data) {
			c.disable(id, ce)
		}
		return []error{ce}
	}
	var errs []error
	// Unknown keys are usually typos ("refesh_auth"): refuse the entry rather
	// than silently run a provider with a default in their place.
	ids := providerOrder(md)
	decoded := map[string]*Profile{}
	for _, id := range ids {
		p := &Profile{}
		if old, ok := c.profiles[id]; ok {
			p = old.clone()
		}
		if err := md.PrimitiveDecode(doc.Providers[id], p); err != nil {
			ce := tomlError(file, data, id, err)
			c.disable(id, ce)
			errs = append(errs, ce)
			continue
		}
		decoded[id] = p
	}
	unknown := map[string][]string{}
	for _, k := range md.Undecoded() {
		if len(k) < 2 || k[0] != "providers" {
			errs = append(errs, &CatalogError{File: file, Line: lineOf(data, "", k.String()), Field: k.String(),
				Err: errors.New("unknown key: provider files hold [providers.ID] tables")})
			continue
		}
		if len(k) > 2 {
			unknown[k[1]] = append(unknown[k[1]], strings.Join(k[2:], "."))
		}
	}
	for _, id := range ids {
		p, ok := decoded[id]
		if !ok {
			continue
		}
		if u := unknown[id]; len(u) > 0 {
			ce := &CatalogError{File: file, Line: lineOf(data, id, u[0]), Provider: id, Field: u[0],
				Err: errors.New("unknown key")}
			c.disable(id, ce)
			errs = append(errs, ce)
			continue
		}
		p.ID = id
		p.Source = file
		r, err := resolve(p)
		if err != nil {
			ce := &CatalogError{File: file, Provider: id, Err: err}
			var fe *FieldError
			if errors.As(err, &fe) {
				ce.Field, ce.Err = fe.Field, errors.New(fe.Problem)
			}
			ce.Line = lineOf(data, id, ce.Field)
			c.disable(id, ce)
			errs = append(errs, ce)
			continue
		}
		if _, known := c.profiles[id]; !known {
			if builtin {
				c.builtin = append(c.builtin, id)
			} else {
				c.custom = append(c.custom, id)
			}
		}
		// The catalog keeps the profile as resolved, so what its copies
		// carry is what was checked.
		p = r.Profile.clone()
		p.res = r
		c.profiles[id] = p
	}
	return errs
}

// providerOrder lists the provider IDs in the order the file defines them.
func providerOrder(md toml.MetaData) []string {
	var ids []string
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		if len(k) >= 2 && k[0] == "providers" && !seen[k[1]] {
			seen[k[1]] = true
			ids = append(ids, k[1])
		}
	}
	return ids
}

var lastKeyLine = regexp.MustCompile(`line (\d+) \(last key "([^"]*)"\): (.*)$`)

// tomlError locates a decoding error: toml.ParseError carries a position;
// type mismatches only say "line N (last key ...)" in their text.
func tomlError(file string, data []byte, id string, err error) *CatalogError {
	ce := &CatalogError{File: file, Provider: id, Err: err}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		ce.Line = pe.Position.Line
		ce.Err = errors.New(pe.Message)
		ce.Field = pe.LastKey
	} else if m := lastKeyLine.FindStringSubmatch(err.Error()); m != nil {
		ce.Line, _ = strconv.Atoi(m[1])
		ce.Field = m[2]
		ce.Err = errors.New(m[3])
	}
	if id != "" {
		ce.Field = strings.TrimPrefix(ce.Field, "providers."+id+".")
		if ce.Field == "providers."+id {
			ce.Field = ""
		}
	} else if f := strings.SplitN(ce.Field, ".", 3); len(f) == 3 && f[0] == "providers" {
		ce.Provider, ce.Field = f[1], f[2]
	}
	if ce.Line == 0 {
		ce.Line = lineOf(data, ce.Provider, ce.Field)
	}
	return ce
}

var indexed = regexp.MustCompile(`^(.*)\[(\d+)\]$`)

// lineOf finds, by reading the text, the line defining a provider's field
// (a key path such as "redirect.port" or "settings[1].key"): the TOML
// decoder does not expose key positions. It falls back to the provider's
// table header, then to 0.
func lineOf(data []byte, id, field string) int {
	lines := strings.Split(string(data), "\n")
	table := "providers"
	if id != "" {
		table = "providers." + id // quotes are dropped from the lines compared
	}
	header := func(name string, nth int) int {
		for i, l := range lines {
			t := strings.ReplaceAll(strings.TrimSpace(l), " ", "")
			t = strings.ReplaceAll(t, `"`, "")
			if t == "["+name+"]" || t == "[["+name+"]]" {
				if nth == 0 {
					return i
				}
				nth--
			}
		}
		return -1
	}
	keyAt := func(start int, key string) int {
		for i := start + 1; i < len(lines); i++ {
			t := strings.TrimSpace(lines[i])
			if strings.HasPrefix(t, "[") {
				return -1
			}
			k, _, ok := strings.Cut(t, "=")
			if ok && strings.ReplaceAll(strings.TrimSpace(k), " ", "") == key {
				return i
			}
		}
		return -1
	}
	plain := strings.ReplaceAll(table, `"`, "")
	parts := strings.Split(field, ".")
	if field == "" {
		parts = nil
	}
	for k := len(parts); k >= 0; k-- {
		name, nth := plain, 0
		for _, p := range parts[:k] {
			if m := indexed.FindStringSubmatch(p); m != nil {
				p = m[1]
				nth, _ = strconv.Atoi(m[2])
			}
			name += "." + p
		}
		h := header(name, nth)
		if h < 0 {
			continue
		}
		if k == len(parts) {
			return h + 1
		}
		rest := strings.Join(parts[k:], ".")
		if i := keyAt(h, rest); i >= 0 {
			return i + 1
		}
		if i := keyAt(h, parts[k]); i >= 0 { // inline table: redirect = { ... }
			return i + 1
		}
		return h + 1
	}
	return 0
}

// Get returns a copy of the profile with this ID; false when there is none
// or it is disabled (see Disabled).
func (c *Catalog) Get(id string) (*Profile, bool) {
	p, ok := c.profiles[id]
	if !ok || c.disabled[id] != nil {
		return nil, false
	}
	return p.clone(), true
}

// Disabled returns why the provider with this ID cannot be used: the
// *CatalogError of the provider file that failed to define or change it
// (joined with errors.Join when several did). It is nil for a usable
// provider and for an ID no file mentions.
func (c *Catalog) Disabled(id string) error {
	switch errs := c.disabled[id]; len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return errors.Join(errs...)
	}
}

// DisabledIDs lists, sorted, the provider IDs that Disabled refuses.
func (c *Catalog) DisabledIDs() []string {
	ids := make([]string, 0, len(c.disabled))
	for id := range c.disabled {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// List returns copies of every usable profile: the built-in ones in
// catalog order (overridden ones in their place), then the others sorted by
// name. Disabled providers are left out.
func (c *Catalog) List() []*Profile {
	out := make([]*Profile, 0, len(c.profiles))
	for _, id := range c.builtin {
		if c.disabled[id] == nil {
			out = append(out, c.profiles[id].clone())
		}
	}
	var custom []string
	for _, id := range c.custom {
		if c.disabled[id] == nil {
			custom = append(custom, id)
		}
	}
	sort.Slice(custom, func(i, j int) bool {
		a, b := c.profiles[custom[i]], c.profiles[custom[j]]
		if a.Name != b.Name {
			return strings.ToLower(a.Name) < strings.ToLower(b.Name)
		}
		return a.ID < b.ID
	})
	for _, id := range custom {
		out = append(out, c.profiles[id].clone())
	}
	return out
}
