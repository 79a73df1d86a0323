package agent

// squatted is the client's refusal as it is: the agent's named pipe
// admits only this user's SID, so no other user can hold its name
// (peer_windows.go).
func squatted(_ string, err error) error { return err }
