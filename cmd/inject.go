package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"locket/backup"
	"locket/cmd/internal/tmpl"
	"locket/vault"
)

// maxTemplate bounds a template; far above any config file.
const maxTemplate = 16 << 20

type injectFlags struct {
	in, out string
	force   bool
}

func newInjectCmd(a *app) *cobra.Command {
	var f injectFlags
	cmd := &cobra.Command{
		Use:   "inject [-i TEMPLATE] [-o FILE] [--force]",
		Short: "render {{ locket://NAME }} references in a template",
		// The flags are in Use already.
		DisableFlagsInUseLine: true,
		Long: `Copy a template (TEMPLATE, or stdin) to stdout or FILE with every
{{ locket://NAME }} or {{ locket://NAME?version=N }} replaced by the value.
Other {{ ... }} are copied as they are, for templates of other tools.

All or nothing: every reference is checked and resolved before anything is
written, so an error (an unclosed {{, a malformed reference, a missing
secret: exit 3, a disabled one: exit 6) writes nothing. FILE is written
with mode 0600 through a temporary file in its directory and a rename; an
existing FILE is replaced only with --force. Each value is audited as
inject, naming the output.`,
		Example: `  locket inject -i config.yml.tpl -o config.yml
  echo 'password: {{ locket://prod/db/password }}' | locket inject`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.inject(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVarP(&f.in, "in", "i", "", "read the template from this file (default stdin)")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "write to this file, mode 0600 (default stdout)")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace FILE if it exists")
	return cmd
}

func (a *app) inject(ctx context.Context, f injectFlags) error {
	// The output is checked before anything is read or unlocked.
	to := "stdout"
	if f.out != "" {
		to = f.out
		if err := checkOutput(f.out, f.force); err != nil {
			return err
		}
	}
	src, name, err := a.readTemplate(f.in)
	if err != nil {
		return err
	}
	tags, err := tmpl.Parse(src)
	var te *tmpl.Error
	if errors.As(err, &te) {
		return fmt.Errorf("%s:%d: %w", name, te.Line, te.Err)
	}
	if err != nil {
		return err
	}
	var out []byte
	if len(tags) == 0 {
		out = src
	} else {
		err = a.withVault(ctx, readWrite, func(v vault.Service) error {
			refs := make([]wanted, len(tags))
			for i, t := range tags {
				refs[i] = wanted{ref: t.Ref, where: fmt.Sprintf("%s:%d", name, t.Line)}
			}
			h := &handout{v: v, op: vault.OpInject, to: to}
			values, err := h.values(ctx, refs)
			if err != nil {
				return err
			}
			defer func() {
				for _, val := range values {
					clear(val)
				}
			}()
			out = tmpl.Render(src, tags, func(t tmpl.Tag) []byte { return values[t.Ref] })
			return nil
		})
		if err != nil {
			return err
		}
		defer clear(out)
	}
	if f.out == "" {
		_, err = a.stdout.Write(out)
		return err
	}
	return backup.WriteFile(f.out, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
}

// checkOutput refuses an output that exists (without force) or whose
// directory does not, before anything is unlocked or resolved.
func checkOutput(path string, force bool) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: directory %s does not exist", path, dir)
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("-o %s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("-o %s: is a directory", path)
	case !force:
		return fmt.Errorf("-o %s: the file exists; use --force to replace it", path)
	}
	return nil
}

// readTemplate reads the template and returns it with the name errors
// give it.
func (a *app) readTemplate(path string) ([]byte, string, error) {
	r, name := a.stdin, "stdin"
	if path != "" && path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("template: %w", err)
		}
		defer file.Close()
		r, name = file, path
	}
	src, err := io.ReadAll(io.LimitReader(r, maxTemplate+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(src) > maxTemplate {
		return nil, "", fmt.Errorf("%s: a template is at most %d MiB", name, maxTemplate>>20)
	}
	return src, name, nil
}
