package agent

// Lock means gone (security invariant 15). Wiping the keyring zeroes the
// keys the keyring holds, but not the copies Go leaves behind: the Argon2
// work area, freed response buffers holding values, the passphrase's
// JSON. Go cannot find those to zero them, so the process that held them
// ends: after a lock no locket process holds a key, the passphrase or a
// value read during the session. The next command that needs an agent
// starts a fresh one, as when none ran.

// lockAndExit is every lock that ends a session (a lock request, the idle
// and the ttl limit): the keys are wiped, the vault closed, and the agent
// stops. A locked agent that never held a vault (started, not yet
// unlocked) has nothing to forget and stays.
func (s *Server) lockAndExit(why string) {
	if s.lock(why) {
		s.cfg.Log.Printf("exiting: a locked agent keeps nothing")
		s.closeListener()
		s.Stop()
	}
}
