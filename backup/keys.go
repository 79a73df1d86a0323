package backup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// scryptWorkFactor is age's default (about a second); tests lower it.
var scryptWorkFactor = 18

// PassphraseRecipient encrypts to a passphrase with age's scrypt recipient.
func PassphraseRecipient(pass []byte) (age.Recipient, error) {
	r, err := age.NewScryptRecipient(string(pass))
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(scryptWorkFactor)
	return r, nil
}

// PassphraseIdentity opens a passphrase-encrypted backup.
func PassphraseIdentity(pass []byte) (age.Identity, error) {
	return age.NewScryptIdentity(string(pass))
}

// ParseRecipient parses one recipient: an age public key (age1...) or an
// SSH public key line (ssh-ed25519 or ssh-rsa, as in authorized_keys).
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "ssh-") {
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("not a usable SSH public key (ssh-ed25519 or ssh-rsa): %w", err)
		}
		return r, nil
	}
	rs, err := age.ParseRecipients(strings.NewReader(s))
	if err != nil || len(rs) != 1 {
		// Do not echo the line: it may be a private key pasted by mistake.
		return nil, errors.New("not an age public key (age1...) or SSH public key")
	}
	return rs[0], nil
}

// ParseRecipients reads a recipients file: one recipient per line, blank
// lines and lines starting with # ignored.
func ParseRecipients(r io.Reader) ([]age.Recipient, error) {
	var out []age.Recipient
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := ParseRecipient(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no recipients in the file")
	}
	return out, nil
}

// ReadRecipientsFile reads the recipients file path (see ParseRecipients).
func ReadRecipientsFile(path string) ([]age.Recipient, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recipients file: %w", err)
	}
	defer f.Close()
	rs, err := ParseRecipients(f)
	if err != nil {
		return nil, fmt.Errorf("recipients file %s: %w", path, err)
	}
	return rs, nil
}

// ReadIdentityFile reads the identity file path (see ParseIdentities).
func ReadIdentityFile(path string, sshPass func() ([]byte, error)) ([]age.Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	ids, err := ParseIdentities(b, sshPass)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ids, nil
}

// ParseIdentities reads an identity file: age identities as age-keygen
// writes them, or an SSH private key. For an SSH key protected by a
// passphrase, sshPass is asked when the key is first needed.
func ParseIdentities(b []byte, sshPass func() ([]byte, error)) ([]age.Identity, error) {
	if strings.Contains(string(b), "PRIVATE KEY-----") {
		id, err := agessh.ParseIdentity(b)
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			if missing.PublicKey == nil {
				return nil, errors.New("the SSH key is encrypted and holds no public key; pass an unencrypted key or an age identity")
			}
			id, err = agessh.NewEncryptedSSHIdentity(missing.PublicKey, b, sshPass)
			if err != nil {
				return nil, fmt.Errorf("SSH identity: %w", err)
			}
		case err != nil:
			return nil, fmt.Errorf("SSH identity: %w", err)
		}
		return []age.Identity{id}, nil
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	return ids, nil
}
