package accounts

// tick runs on the scheduler's coarse tick: when another process wrote to
// the store, it picks up accounts added or removed there.
func (s *Service) tick() {
	if changed, err := s.store.Changed(); err != nil || !changed {
		return
	}
	rows, err := s.store.Accounts()
	if err != nil {
		return
	}
	now := s.clock.Now()
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.ID] = true
		if a, added := s.adoptRow(r, now); added {
			s.announce(a)
		}
	}
	for _, a := range s.snapshotAccounts() {
		if !have[a.id] {
			s.forget(a)
		}
	}
}

// inMemory returns the account if this process holds it.
func (s *Service) inMemory(id string) (*account, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.accts[id]
	return a, a != nil
}

// forget drops an account from memory (its row and secret are gone).
func (s *Service) forget(a *account) {
	s.mu.Lock()
	delete(s.accts, a.id)
	s.mu.Unlock()
	s.sched.Cancel(a.id)
	s.persist.drop(a.id)
	a.mu.Lock()
	already := a.removed
	a.removed = true
	provider := a.rec.Provider
	a.mu.Unlock()
	if !already {
		s.hub.publish(Event{Removed: true, Account: Account{ID: a.id, Provider: provider}})
	}
}
