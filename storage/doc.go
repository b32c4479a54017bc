// Package storage keeps SellerConnect's state: secrets (tokens, client
// secrets) in the operating system's keychain, account records and settings
// in JSON files in the data directory, and the locks that let the desktop
// app and the command line run side by side.
//
// The rules it keeps:
//   - Secrets go to the keychain only. There is no plaintext fallback: when
//     the keychain is missing or refuses, calls fail with a *KeychainError
//     that says what is wrong and what to do.
//   - Every keychain call is bounded by a timeout, because the keychain may
//     wait for the user to unlock it.
//   - A value is never half-written: large values are chunked so that the
//     old value stays readable until the new one is complete, and files are
//     replaced atomically.
//   - A damaged file is kept aside and reported (*CorruptError), never
//     silently replaced by an empty one.
//
// storage imports neither oauth nor any UI package.
package storage
