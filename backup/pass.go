package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"locket/vault"
)

// Decrypter decrypts one file of a pass store.
type Decrypter func(ctx context.Context, path string) ([]byte, error)

// GPGDecrypt runs `gpg --decrypt --batch --quiet FILE`, as pass does; gpg's
// agent asks for the key's passphrase if it needs one.
//
// A value is at most vault.MaxValueLen bytes, so at most one byte more is
// read: a small file can decompress to gigabytes (a compression bomb), and
// gpg is stopped once the value is known to be too large.
func GPGDecrypt(ctx context.Context, path string) ([]byte, error) {
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := exec.CommandContext(ctx, "gpg", "--decrypt", "--batch", "--quiet", path)
	c.Stderr = &stderr
	pipe, err := c.StdoutPipe()
	if err == nil {
		err = c.Start()
	}
	var out []byte
	if err == nil {
		out, err = io.ReadAll(io.LimitReader(pipe, vault.MaxValueLen+1))
		if len(out) > vault.MaxValueLen {
			cancel() // kills gpg: the rest is not wanted
			c.Wait()
			return nil, fmt.Errorf("it decrypts to more than %d KiB, the most a secret holds; not read", vault.MaxValueLen>>10)
		}
		if werr := c.Wait(); err == nil {
			err = werr
		}
	}
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("gpg is not installed (Debian package gnupg)")
		}
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return nil, fmt.Errorf("gpg: %s", vault.Sanitize(strings.TrimPrefix(msg, "gpg: ")))
	}
	return out, nil
}

// ImportPass reads a pass store (https://www.passwordstore.org): every
// FILE.gpg under dir, hidden directories such as .git left out, becomes
// PREFIX/FILE. The value is the whole decrypted file, because pass keeps
// the password on the first line and more (logins, URLs, notes) below it;
// a file of a single line loses its final newline, so that the value is
// the password itself. The file's modification time becomes the version's
// creation time. A file gpg cannot decrypt is skipped and reported.
func ImportPass(ctx context.Context, dir, prefix string, decrypt Decrypter) (*Found, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("no password store at %s", dir)
	}
	f := &Found{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// A link can point out of the store, at any file gpg can
			// decrypt: it is not followed, and it is reported.
			rel, _ := filepath.Rel(dir, path)
			f.skip(filepath.ToSlash(rel), "a symbolic link: not read")
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".gpg") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(strings.TrimSuffix(rel, ".gpg"))
		info, err := d.Info()
		if err != nil {
			return err
		}
		val, err := decrypt(ctx, path)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.skip(rel, "%v", err)
			return nil
		}
		f.addAt(rel, prefix, strings.Split(rel, "/"), passValue(val), "", info.ModTime().UTC(), info.ModTime().UTC(), nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// passValue drops the final newline of a one-line entry.
func passValue(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i == len(b)-1 {
		return b[:i]
	}
	return b
}
