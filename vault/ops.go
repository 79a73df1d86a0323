package vault

// Op is an audited operation. The set is closed: callers choose among the
// constants below, and only the vault writes events, so no caller can
// forge an operation the audit log would then show as real.
type Op string

// Operations that hand a value out of the vault. They are the purposes
// Get and Snapshot accept.
const (
	OpGet    Op = "get"    // a value on stdout
	OpCopy   Op = "copy"   // a value on the clipboard
	OpReveal Op = "reveal" // a value shown in the TUI
	OpExport Op = "export" // values into a backup or a file
	OpSync   Op = "sync"   // values pushed to a sync target (locket sync push)
	OpOTP    Op = "otp"    // a one-time code computed from a TOTP seed
	OpEdit   Op = "edit"   // a value into the user's editor

	// Values handed to another program; the event's To names it.
	OpRun           Op = "run"            // into a command's environment
	OpInject        Op = "inject"         // into a rendered template
	OpGitCredential Op = "git-credential" // to git, for a host
)

// Operations that change the vault.
const (
	OpInit     Op = "init"
	OpSet      Op = "set"
	OpRotate   Op = "rotate" // a new version of an existing secret, ending any snooze
	OpRollback Op = "rollback"
	OpTag      Op = "tag"
	OpUntag    Op = "untag"
	OpSnooze   Op = "snooze" // the snooze-until tag
	OpPolicy   Op = "policy" // the rotate-every tag
	OpUpdate   Op = "update"
	OpEnable   Op = "enable"
	OpDisable  Op = "disable"
	OpMove     Op = "mv"
	OpDelete   Op = "rm"
	OpRecover  Op = "recover"
	OpPurge    Op = "purge"
	OpImport   Op = "import"
	OpConfig   Op = "config"
	OpPasswd   Op = "passwd"
	OpReview   Op = "review" // a rotation review decision; changes nothing else
	OpRekey    Op = "rekey"  // every record re-sealed under a new data key
	// OpMigrate: the state commitment built for a vault made before it.
	OpMigrate Op = "migrate"
	// OpAcceptRollback: an older state than this machine had seen, opened
	// on purpose (a restored file-level backup).
	OpAcceptRollback Op = "accept-rollback"
)

// Read reports whether op hands out values rather than changing the vault.
// This is the one place that split is made: Get refuses any other purpose,
// and a lifecycle timeline leaves these out.
func (op Op) Read() bool {
	switch op {
	case OpGet, OpCopy, OpReveal, OpExport, OpSync, OpOTP, OpEdit, OpRun, OpInject, OpGitCredential:
		return true
	}
	return false
}
