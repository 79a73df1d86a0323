package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The reference in docs/cli and docs/man is generated from the commands;
// TestGeneratedDocs fails when the committed files are stale.
//go:generate go run .. gendocs --markdown ../docs/cli --man ../docs/man

// manDate is the date in every man page's header. It is fixed so that the
// output changes only when a command does.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func init() {
	register(func(a *app) *cobra.Command {
		var markdown, man string
		c := &cobra.Command{
			Use:    "gendocs --markdown DIR --man DIR",
			Short:  "write the Markdown and man page reference of every command",
			Hidden: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				if markdown == "" && man == "" {
					return usageError("give --markdown DIR, --man DIR or both")
				}
				return genDocs(a.docRoot(), markdown, man)
			},
		}
		c.Flags().StringVar(&markdown, "markdown", "", "write the Markdown reference into `DIR`")
		c.Flags().StringVar(&man, "man", "", "write the man pages into `DIR`")
		return c
	})
}

// docRoot builds the command tree the reference describes: the real one,
// plus cobra's completion command, which is hidden from the command list
// but documented.
func (a *app) docRoot() *cobra.Command {
	root := a.rootCommand()
	root.CompletionOptions.HiddenDefaultCmd = false
	root.InitDefaultCompletionCmd()
	var quiet func(c *cobra.Command)
	quiet = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			quiet(sub)
		}
	}
	quiet(root)
	return root
}

// genDocs writes the reference of root into the directories that are not
// empty strings. It first removes the files an earlier run wrote there
// (locket*.md, locket*.1), so that a removed command loses its page.
func genDocs(root *cobra.Command, markdown, man string) error {
	if markdown != "" {
		if err := clearGenerated(markdown, "locket*.md"); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, markdown); err != nil {
			return fmt.Errorf("markdown reference: %w", err)
		}
	}
	if man != "" {
		if err := clearGenerated(man, "locket*.1"); err != nil {
			return err
		}
		date := manDate
		header := &doc.GenManHeader{Section: "1", Date: &date, Source: "locket", Manual: "locket manual"}
		if err := doc.GenManTree(root, header, man); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	return nil
}

func clearGenerated(dir, pattern string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}
