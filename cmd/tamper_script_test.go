//go:build unix

package cmd

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for the tamper scripts, which act as an attacker with the disk
// but not the passphrase, on a closed vault:
//
//	rawsave KEY | rawput KEY | rawdel KEY
//	                      save the sealed record under the Badger key KEY
//	                      (a literal string, such as s for the settings),
//	                      put the saved copy back, or delete the record
//	savevault NAME / restorevault NAME
//	                      copy the whole vault directory aside, put it back
func init() {
	scriptCmds["rawsave"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: rawsave KEY")
		}
		rawEdit(ts, func(tx *badger.Txn) error {
			item, err := tx.Get([]byte(args[0]))
			if err != nil {
				return err
			}
			val, err := item.ValueCopy(nil)
			saved.Store(savedKey{ts, args[0]}, val)
			return err
		})
	}
	scriptCmds["rawput"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: rawput KEY")
		}
		val, ok := saved.Load(savedKey{ts, args[0]})
		if !ok {
			ts.Fatalf("rawput %s without rawsave", args[0])
		}
		rawEdit(ts, func(tx *badger.Txn) error { return tx.Set([]byte(args[0]), val.([]byte)) })
	}
	scriptCmds["rawdel"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: rawdel KEY")
		}
		rawEdit(ts, func(tx *badger.Txn) error { return tx.Delete([]byte(args[0])) })
	}
	scriptCmds["savevault"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: savevault NAME")
		}
		ts.Check(os.CopyFS(ts.MkAbs(args[0]), os.DirFS(ts.Getenv("LOCKET_VAULT"))))
	}
	scriptCmds["restorevault"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: restorevault NAME")
		}
		dir := ts.Getenv("LOCKET_VAULT")
		ts.Check(os.RemoveAll(dir))
		ts.Check(os.CopyFS(dir, os.DirFS(ts.MkAbs(args[0]))))
		ts.Check(os.Chmod(dir, 0o700))
	}
}

type savedKey struct {
	ts  *testscript.TestScript
	key string
}

var saved sync.Map

func rawEdit(ts *testscript.TestScript, edit func(*badger.Txn) error) {
	// The attacker writes tables in the store's own format (no
	// compression, values in the tree), as one who read locket's source
	// would: a table in another format is refused as damaged before any
	// record is looked at, which is not what these scripts are about.
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(ts.Getenv("LOCKET_VAULT"), "db")).WithLogger(nil).
		WithCompression(options.None).WithValueThreshold(256 << 10))
	ts.Check(err)
	err = db.Update(edit)
	ts.Check(db.Close())
	ts.Check(err)
}
