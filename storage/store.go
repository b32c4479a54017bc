package storage

// Store is the data directory's database together with the keychain that
// holds the tokens its rows name: everything one account is, shared by
// every process.
type Store struct {
	*DB
	tokens Tokens
}

// NewStore joins a database and the keychain its tokens live in.
func NewStore(db *DB, secrets Secrets) *Store {
	return &Store{DB: db, tokens: Tokens{DB: db, Secrets: secrets}}
}

// LoadToken is Tokens.Load.
func (s *Store) LoadToken(id string) (Loaded, error) { return s.tokens.Load(id) }

// LoadTokenAt is Tokens.LoadAt.
func (s *Store) LoadTokenAt(id string, ts TokenState) (Loaded, error) { return s.tokens.LoadAt(id, ts) }

// BeginRefresh is Tokens.Begin.
func (s *Store) BeginRefresh(id, sync string) (TokenState, error) { return s.tokens.Begin(id, sync) }

// EndRefresh is Tokens.End.
func (s *Store) EndRefresh(id string) error { return s.tokens.End(id) }

// SetSync is Tokens.SetSync.
func (s *Store) SetSync(id, sync string) error { return s.tokens.SetSync(id, sync) }

// SaveToken is Tokens.Save.
func (s *Store) SaveToken(id string, value []byte) (TokenState, error) {
	return s.tokens.Save(id, value)
}

// CreateAccount is Tokens.Create.
func (s *Store) CreateAccount(r Record, value []byte, entries []TimelineEntry, keep TimelineKeep) error {
	return s.tokens.Create(r, value, entries, keep)
}

// RemoveAccount is Tokens.Remove.
func (s *Store) RemoveAccount(id string) error { return s.tokens.Remove(id) }
