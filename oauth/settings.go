package oauth

import (
	"fmt"
	"strings"
)

// settingValue looks a setting up in c.
func settingValue(c Credentials, key string) string {
	switch key {
	case "client_id":
		return c.ClientID
	case "client_secret":
		return c.ClientSecret
	}
	return c.Settings[key]
}

// MissingSettings lists the keys of required settings that c leaves empty
// and that have no default.
func (p *Profile) MissingSettings(c Credentials) []string { return missingSettings(p.Settings, c) }

func missingSettings(settings []Setting, c Credentials) []string {
	var missing []string
	for _, s := range settings {
		if s.Optional || s.Default != "" {
			continue
		}
		if strings.TrimSpace(settingValue(c, s.Key)) == "" {
			missing = append(missing, s.Key)
		}
	}
	return missing
}

// SettingDefaults returns the settings' defaults as Credentials (the Demo's
// public client id, for example).
func (p *Profile) SettingDefaults() Credentials { return settingDefaults(p.Settings) }

func settingDefaults(settings []Setting) Credentials {
	c := Credentials{Settings: map[string]string{}}
	for _, s := range settings {
		if s.Default == "" {
			continue
		}
		switch s.Key {
		case "client_id":
			c.ClientID = s.Default
		case "client_secret":
			c.ClientSecret = s.Default
		default:
			c.Settings[s.Key] = s.Default
		}
	}
	return c
}

// expand fills "${key}" references from c. A reference to an empty setting
// is an error naming the setting.
func expand(s string, c Credentials) (string, error) {
	var missing string
	out := settingPattern.ReplaceAllStringFunc(s, func(m string) string {
		key := m[2 : len(m)-1]
		v := settingValue(c, key)
		if v == "" && missing == "" {
			missing = key
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("setting %q is empty", missing)
	}
	return out, nil
}
