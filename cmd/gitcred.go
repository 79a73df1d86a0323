package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

// maxCredentialInput bounds what git sends: a few short lines.
const maxCredentialInput = 64 << 10

func newGitCredentialCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "git-credential get|store|erase",
		Short: "a git credential helper backed by the vault",
		Long: `A git credential helper. The secret git/HOST holds the token or password
for HOST, its tag username the user name; with credential.useHttpPath,
git/HOST/PATH is tried first. A port is written after "+" (git/host+8443).

  get    prints username= and password= for the request, or nothing when
         no secret matches, so that git asks elsewhere
  store  adds a version when the value differs (never rewrites one)
  erase  moves the secret to the trash (locket recover brings it back)

Set it up with:
  git config --global credential.helper '!locket git-credential'
  git config --global credential.useHttpPath true   # optional: per repository`,
		Example: "  printf 'protocol=https\\nhost=github.com\\n\\n' | locket git-credential get",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := readCredential(a.stdin)
			if err != nil {
				return err
			}
			switch args[0] {
			case "get":
				return a.credentialGet(cmd.Context(), req)
			case "store":
				return a.credentialStore(cmd.Context(), req)
			case "erase":
				return a.credentialErase(cmd.Context(), req)
			}
			// The protocol asks helpers to ignore actions they do not
			// know, so that git can add new ones.
			return nil
		},
	}
}

// credential is one request of the git credential protocol.
type credential map[string]string

// readCredential reads key=value lines up to a blank line or the end.
func readCredential(r io.Reader) (credential, error) {
	c := credential{}
	s := bufio.NewScanner(io.LimitReader(r, maxCredentialInput))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSuffix(s.Text(), "\r")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("git-credential: line %d is not key=value", n)
		}
		c[k] = v
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("git-credential: %w", err)
	}
	return c, nil
}

// secretNames are the secrets that may hold c's credential, most
// specific first. A host or path that cannot be part of a secret name
// has none.
func (c credential) secretNames() []string {
	host := strings.ReplaceAll(c["host"], ":", "+")
	var names []string
	if p := strings.Trim(c["path"], "/"); p != "" && host != "" {
		names = append(names, "git/"+host+"/"+p)
	}
	if host != "" {
		names = append(names, "git/"+host)
	}
	return slices.DeleteFunc(names, func(n string) bool { return vault.ValidateName(n) != nil })
}

// findSecret returns the first of names that is a live secret.
func findSecret(ctx context.Context, v vault.Service, names []string) (vault.Secret, bool, error) {
	for _, n := range names {
		s, err := v.Secret(ctx, n)
		if errors.Is(err, vault.ErrNotFound) || err == nil && s.InTrash() {
			continue
		}
		return s, err == nil, err
	}
	return vault.Secret{}, false, nil
}

// token is a stored value as the protocol can carry it: one line. The
// newline that `echo token | locket set` stores is not part of a token.
func token(val []byte) ([]byte, error) {
	val = bytes.TrimSuffix(bytes.TrimSuffix(val, []byte("\n")), []byte("\r"))
	if bytes.ContainsAny(val, "\x00\n") {
		return nil, errors.New("the value holds a newline or NUL, which git cannot take")
	}
	return val, nil
}

// withCredential runs fn on the secret that answers request c, found
// under names; without one, or when the request names another user than
// the secret's username tag (the credential is not for them), it does
// nothing and git asks elsewhere.
func (a *app) withCredential(ctx context.Context, c credential, names []string, fn func(vault.Service, vault.Secret) error) error {
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		s, ok, err := findSecret(ctx, v, names)
		if err != nil || !ok {
			return err
		}
		if u, stored := c["username"], s.Tags["username"]; u != "" && stored != "" && u != stored {
			return nil
		}
		return fn(v, s)
	})
}

func (a *app) credentialGet(ctx context.Context, c credential) error {
	names := c.secretNames()
	if len(names) == 0 {
		return nil
	}
	return a.withCredential(ctx, c, names, func(v vault.Service, s vault.Secret) error {
		user := s.Tags["username"]
		if !s.Enabled {
			fmt.Fprintf(a.stderr, "locket: %s is disabled; git will ask elsewhere\n", vault.Sanitize(s.Name))
			return nil
		}
		h := &handout{v: v, op: vault.OpGitCredential, to: c["host"]}
		val, err := h.get(ctx, s.Name, 0)
		if err != nil {
			return err
		}
		defer clear(val)
		tok, err := token(val)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		var out bytes.Buffer
		if user != "" {
			fmt.Fprintf(&out, "username=%s\n", user)
		}
		fmt.Fprintf(&out, "password=%s\n", tok)
		defer clear(out.Bytes())
		_, err = a.stdout.Write(out.Bytes())
		return err
	})
}

func (a *app) credentialStore(ctx context.Context, c credential) error {
	names := c.secretNames()
	if len(names) == 0 || c["password"] == "" {
		return nil
	}
	pw := []byte(c["password"])
	defer clear(pw)
	return a.withVault(ctx, readWrite, func(v vault.Service) error {
		s, ok, err := findSecret(ctx, v, names)
		if err != nil {
			return err
		}
		name := names[0]
		tags := map[string]string{}
		if c["username"] != "" {
			tags["username"] = c["username"]
		}
		if ok {
			name = s.Name
			cur, _, err := v.GetFor(ctx, name, 0, vault.OpGitCredential, c["host"])
			if err != nil {
				return err
			}
			tok, _ := token(cur)
			same := bytes.Equal(tok, pw)
			clear(cur)
			if same {
				// Nothing new to keep; a changed user name is a tag.
				if c["username"] != "" && s.Tags["username"] != c["username"] {
					return v.Tag(ctx, name, vault.TagChange{Set: tags, Note: "git-credential " + c["host"]})
				}
				return nil
			}
		}
		_, err = v.Put(ctx, name, pw, vault.PutOptions{Tags: tags, Note: "git-credential " + c["host"]})
		return err
	})
}

func (a *app) credentialErase(ctx context.Context, c credential) error {
	names := c.secretNames()
	if len(names) == 0 {
		return nil
	}
	return a.withCredential(ctx, c, names, func(v vault.Service, s vault.Secret) error {
		// git erases the credential it was refused with. When the vault
		// already holds another one, that one has not been refused.
		if c["password"] != "" && s.Enabled {
			cur, _, err := v.GetFor(ctx, s.Name, 0, vault.OpGitCredential, c["host"])
			if err != nil {
				return err
			}
			tok, _ := token(cur)
			same := bytes.Equal(tok, []byte(c["password"]))
			clear(cur)
			if !same {
				return nil
			}
		}
		return v.Delete(ctx, s.Name)
	})
}
