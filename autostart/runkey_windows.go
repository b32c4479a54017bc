package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

func enable(it Item) error {
	v, err := RunValue(it)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, RunKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer k.Close()
	if err := k.SetStringValue(it.Name, v); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	// Turning it on here also undoes an "off" from Task Manager: without
	// its value Windows runs the entry.
	if a, err := registry.OpenKey(registry.CURRENT_USER, StartupApprovedKey, registry.SET_VALUE); err == nil {
		err := a.DeleteValue(it.Name)
		a.Close()
		if err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("autostart: %w", err)
		}
	}
	return nil
}

func disable(it Item) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer k.Close()
	if err := k.DeleteValue(it.Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func enabled(it Item) (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(it.Name); errors.Is(err, registry.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	if a, err := registry.OpenKey(registry.CURRENT_USER, StartupApprovedKey, registry.QUERY_VALUE); err == nil {
		defer a.Close()
		if data, _, err := a.GetBinaryValue(it.Name); err == nil && approvedOff(data) {
			return false, nil
		}
	}
	return true, nil
}

func where(it Item) string { return `HKEY_CURRENT_USER\` + RunKey + `\` + it.Name }
