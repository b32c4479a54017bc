package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// DataDirEnv names the environment variable that overrides the data directory.
const DataDirEnv = "SELLERCONNECT_DATA_DIR"

// appName is the data directory's name under the user's config directory and
// the keychain service name for that default directory.
const appName = "SellerConnect"

// DataDir returns the data directory, creating it (mode 0700) if needed:
// override when set, else $SELLERCONNECT_DATA_DIR, else
// os.UserConfigDir()/SellerConnect. The result is absolute.
func DataDir(override string) (string, error) {
	dir := override
	if dir == "" {
		dir = os.Getenv(DataDirEnv)
	}
	if dir == "" {
		def, err := defaultDataDir()
		if err != nil {
			return "", err
		}
		dir = def
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := ensureDir(abs); err != nil {
		return "", err
	}
	return abs, nil
}

func defaultDataDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory to keep SellerConnect's data in (%w); pass --data-dir or set %s", err, DataDirEnv)
	}
	return filepath.Join(base, appName), nil
}

// ensureDir creates dir with mode 0700 when it is missing, and makes an
// existing one 0700 when it is ours: what it holds describes the seller's
// accounts. A directory another user owns is refused (see checkOwner).
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the data directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot read the data directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the data directory %s is not a directory: choose another with --data-dir", dir)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, perm&^0o077); err != nil {
			return fmt.Errorf("the data directory %s can be read by other users (mode %04o) and cannot be made private: %w", dir, perm, err)
		}
	}
	return nil
}

// serviceName is the keychain service for a data directory: plain
// "SellerConnect" for the default directory, and "SellerConnect-<hash>" for
// any other, so that separate profiles and test runs never share entries.
func serviceName(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	abs = filepath.Clean(abs)
	if def, err := defaultDataDir(); err == nil && filepath.Clean(def) == abs {
		return appName
	}
	sum := sha256.Sum256([]byte(abs))
	return appName + "-" + hex.EncodeToString(sum[:])[:12]
}
