package cmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"locket/internal/kvsync"
	"locket/vault"
)

// syncFlags are the flags every sync command shares.
type syncFlags struct {
	prefix, mount, path string
	dryRun, asJSON      bool
}

func (f *syncFlags) add(cmd *cobra.Command, dryRun bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.prefix, "prefix", "", "only secrets whose names start with this")
	fl.StringVar(&f.mount, "mount", kvsync.DefaultMount, "the KV version 2 mount")
	fl.StringVar(&f.path, "path", kvsync.DefaultPath, "the directory in the mount that holds the vault's secrets")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	if dryRun {
		fl.BoolVarP(&f.dryRun, "dry-run", "n", false, "print the plan and change nothing")
	}
}

const syncLong = `Sync the vault with a HashiCorp Vault or OpenBao KV version 2 mount:
the secret app/db lives at secret/data/locket/app/db (--mount, --path).
Every locket version is one KV version; tags and attributes are the
secret's custom_metadata. See docs/sync.md.

The server comes from the Vault CLI's environment: VAULT_ADDR (or the ADDR
argument), VAULT_TOKEN else ~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT,
VAULT_SKIP_VERIFY. locket never stores the token.`

func newSyncCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "push to and pull from a Vault / OpenBao KV v2 mount",
		Long:  syncLong,
	}
	cmd.AddCommand(
		newSyncSubCmd(a, "push", "send local changes to the server",
			`Send the versions, tags, attributes, trash and purges made here since the
last sync. Each version is written with check-and-set on the server version
locket saw last: a secret changed on the server meanwhile is a conflict,
not pushed and reported, while the others still go (exit 1). Pull, then
push again. Running push again after an interruption sends only what is
missing.`, true),
		newSyncSubCmd(a, "pull", "bring server changes into the vault",
			`Add the server's versions that the vault has not seen as new versions,
all or nothing, as one audited import; nothing is overwritten. Tags and
attributes merge key by key; a secret deleted on the server goes to the
trash. A secret changed on both sides gets the server's versions, then its
local ones again on top, so that the next push sends them.`, true),
		newSyncSubCmd(a, "status", "compare the vault with the server",
			`Print, per secret, in-sync, local-ahead, server-ahead or diverged. Reads no
value and changes nothing.`, false),
	)
	return cmd
}

func newSyncSubCmd(a *app, name, short, long string, dryRun bool) *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:     name + " [ADDR]",
		Short:   short,
		Long:    long + "\n\n" + syncLong,
		Example: fmt.Sprintf("  VAULT_ADDR=https://vault.example.com:8200 locket sync %s --prefix team/\n  locket sync %s http://127.0.0.1:8200 --mount kv --path alice", name, name),
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := vault.ValidatePrefix(f.prefix); err != nil {
				return err
			}
			addr := ""
			if len(args) == 1 {
				addr = args[0]
			}
			client, err := kvsync.NewClient(addr)
			if err != nil {
				return syncError(err)
			}
			mode := readWrite
			if name == "status" || f.dryRun {
				mode = readOnly
			}
			return a.withVault(cmd.Context(), mode, func(v vault.Service) error {
				s := kvsync.New(v, client, f.mount, f.path)
				rep, err := runSync(cmd.Context(), s, name, f)
				if rep.Target == "" {
					return syncError(err)
				}
				if perr := a.printSync(rep, name, f.asJSON); perr != nil {
					return perr
				}
				return syncError(err)
			})
		},
	}
	f.add(cmd, dryRun)
	return cmd
}

func runSync(ctx context.Context, s *kvsync.Syncer, name string, f syncFlags) (kvsync.Report, error) {
	switch name {
	case "push":
		return s.Push(ctx, f.prefix, f.dryRun)
	case "pull":
		return s.Pull(ctx, f.prefix, f.dryRun)
	}
	return s.Status(ctx, f.prefix)
}

// syncError gives sync's errors their exit codes: a token the server
// refuses cannot unlock the server's side (4), like a wrong passphrase.
func syncError(err error) error {
	if errors.Is(err, kvsync.ErrPermission) {
		return withCode(ExitUnlock, err)
	}
	return err
}

func (a *app) printSync(rep kvsync.Report, name string, asJSON bool) error {
	if asJSON {
		return writeJSON(a.stdout, rep)
	}
	var rows [][]string
	for _, it := range rep.Items {
		if name != "status" && (it.Action == "none" || it.Action == string(vault.ActionIdentical)) {
			continue
		}
		versions := "-"
		if it.Versions > 0 {
			versions = "+" + strconv.Itoa(it.Versions)
		}
		if name == "status" {
			rows = append(rows, []string{string(it.State), it.Name, strconv.Itoa(it.Local), strconv.Itoa(it.Server), it.Note})
		} else {
			rows = append(rows, []string{it.Action, it.Name, versions, it.Note})
		}
	}
	if len(rows) > 0 {
		header := []string{"ACTION", "NAME", "VERSIONS", "NOTE"}
		if name == "status" {
			header = []string{"STATE", "NAME", "LOCAL", "SERVER", "NOTE"}
		}
		if err := table(a.stdout, header, rows); err != nil {
			return err
		}
	}
	switch {
	case name == "status":
		fmt.Fprintf(a.stdout, "%s: %d in sync, %d local ahead, %d server ahead, %d diverged\n", vault.Sanitize(rep.Target),
			rep.Count(kvsync.InSync), rep.Count(kvsync.LocalAhead), rep.Count(kvsync.ServerAhead), rep.Count(kvsync.Diverged))
	case rep.DryRun:
		fmt.Fprintf(a.stdout, "dry run: nothing was changed (%d to %s)\n", len(rows), name)
	case len(rows) == 0:
		fmt.Fprintf(a.stdout, "%s: nothing to %s\n", vault.Sanitize(rep.Target), name)
	case name == "push":
		fmt.Fprintf(a.stdout, "%s: %d pushed, %d conflicts\n", vault.Sanitize(rep.Target), len(rows)-rep.Conflicts, rep.Conflicts)
	default:
		fmt.Fprintf(a.stdout, "%s: %d pulled, %d of them changed on both sides (push them)\n", vault.Sanitize(rep.Target), len(rows), rep.Conflicts)
	}
	return nil
}
