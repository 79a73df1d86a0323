package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"locket/vault"
)

func newGenerateCmd(a *app) *cobra.Command {
	o := vault.DefaultGenerateOptions()
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "print a new random password or passphrase",
		Long: `Print a random password drawn with crypto/rand from the chosen character
classes, with at least one character of each class, or with --words N a
diceware passphrase from the EFF large word list.

Charsets: ` + strings.Join(vault.CharsetNames, ", ") + `; combine with +
(lower+digits). The value ends with a newline only when stdout is a
terminal, so that "locket generate | locket set NAME" stores exactly it.`,
		Example: "  locket generate\n  locket generate --length 32 --charset alnum --no-lookalikes\n  locket generate --words 6 --separator ' '",
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("words") && o.Words < 1 {
				return usageError("--words must be 1 or more")
			}
			if err := o.CheckCharset(); err != nil {
				return flagError("charset", err)
			}
			b, err := vault.Generate(o)
			if err != nil {
				return err
			}
			defer clear(b)
			if isTerminal(a.stdout) {
				b = append(b, '\n')
			}
			_, err = a.stdout.Write(b)
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Length, "length", o.Length, "number of characters")
	f.StringVar(&o.Charset, "charset", o.Charset, "character classes: "+strings.Join(vault.CharsetNames, ", ")+", combined with +")
	f.BoolVar(&o.NoLookalikes, "no-lookalikes", false, "leave out characters that look alike (I l 1 O 0 o |)")
	f.IntVar(&o.Words, "words", 0, "a diceware passphrase of N words instead")
	f.StringVar(&o.Separator, "separator", o.Separator, "what joins the words")
	return cmd
}

// generateFlagHelp documents the --generate=RULES syntax of set.
var generateFlagHelp = fmt.Sprintf("generate the value; RULES are comma-separated length=N, charset=SET, no-lookalikes, words=N, sep=S (default length=%d,charset=all)", vault.DefaultGenerateLength)
