package vault

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/sethvargo/go-diceware/diceware"
)

// Character classes for generated passwords. Symbols leave out quotes,
// backslash, backtick and space, which break shell quoting and config files.
const (
	classLower   = "abcdefghijklmnopqrstuvwxyz"
	classUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	classDigits  = "0123456789"
	classSymbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~"
	classHex     = "0123456789abcdef"
	// lookalikes are characters easily misread for one another.
	lookalikes = "Il1O0o|"
)

// charsets maps a charset name to the classes it is made of; each class
// appears at least once in a generated password.
var charsets = map[string][]string{
	"lower":   {classLower},
	"upper":   {classUpper},
	"digits":  {classDigits},
	"symbols": {classSymbols},
	"alpha":   {classLower, classUpper},
	"alnum":   {classLower, classUpper, classDigits},
	"hex":     {classHex},
	"all":     {classLower, classUpper, classDigits, classSymbols},
}

// CharsetNames lists the names Charset accepts, for help texts.
var CharsetNames = []string{"all", "alnum", "alpha", "lower", "upper", "digits", "symbols", "hex"}

// Limits of the generator.
const (
	DefaultGenerateLength = 24
	MaxGenerateLength     = 4096
	MaxGenerateWords      = 64
	DefaultWordSeparator  = "-"
)

// GenerateOptions describe a generated value: a password of Length
// characters from Charset, or, when Words > 0, a diceware passphrase of
// that many words from the EFF large list joined by Separator.
type GenerateOptions struct {
	Length int
	// Charset is one name or several joined by "+" (lower+digits).
	Charset      string
	NoLookalikes bool
	Words        int
	Separator    string
}

// DefaultGenerateOptions is a 24-character password from all classes.
func DefaultGenerateOptions() GenerateOptions {
	return GenerateOptions{Length: DefaultGenerateLength, Charset: "all", Separator: DefaultWordSeparator}
}

// ParseGenerateSpec reads the --generate=RULES syntax: comma-separated
// items, each key=value or a bare flag, over the defaults:
//
//	length=32,charset=alnum
//	charset=lower+digits,no-lookalikes
//	words=6,sep=.
//
// An empty spec means the defaults.
func ParseGenerateSpec(spec string) (GenerateOptions, error) {
	o := DefaultGenerateOptions()
	if spec == "" {
		return o, nil
	}
	for _, item := range strings.Split(spec, ",") {
		k, v, hasValue := strings.Cut(item, "=")
		var err error
		switch {
		case k == "length" && hasValue:
			o.Length, err = strconv.Atoi(v)
		case k == "charset" && hasValue:
			o.Charset = v
		case k == "words" && hasValue:
			o.Words, err = strconv.Atoi(v)
		case k == "sep" && hasValue:
			o.Separator = v
		case k == "no-lookalikes" && !hasValue:
			o.NoLookalikes = true
		default:
			return o, fmt.Errorf("%w: generate spec item %q: use length=N, charset=SET, words=N, sep=S or no-lookalikes", ErrInvalid, item)
		}
		if err != nil {
			return o, fmt.Errorf("%w: generate spec item %q needs a whole number", ErrInvalid, item)
		}
	}
	return o, o.validate()
}

func (o GenerateOptions) validate() error {
	if Sanitize(o.Separator) != o.Separator {
		return fmt.Errorf("%w: the word separator holds control characters", ErrInvalid)
	}
	if o.Words != 0 {
		if o.Words < 1 || o.Words > MaxGenerateWords {
			return fmt.Errorf("%w: words must be between 1 and %d", ErrInvalid, MaxGenerateWords)
		}
		return nil
	}
	if o.Length < 1 || o.Length > MaxGenerateLength {
		return fmt.Errorf("%w: length must be between 1 and %d", ErrInvalid, MaxGenerateLength)
	}
	classes, err := o.classes()
	if err != nil {
		return err
	}
	if len(classes) > o.Length {
		return fmt.Errorf("%w: length %d is too short to hold one of each of the %d character classes of %q", ErrInvalid, o.Length, len(classes), o.Charset)
	}
	return nil
}

// CheckCharset reports an unknown charset name on its own, so that the
// CLI can treat it as a flag that does not read (exit 2).
func (o GenerateOptions) CheckCharset() error {
	if o.Words != 0 {
		return nil
	}
	_, err := o.classes()
	return err
}

// classes resolves the charset to distinct character classes, with
// look-alikes removed when asked.
func (o GenerateOptions) classes() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, name := range strings.Split(o.Charset, "+") {
		cs, ok := charsets[name]
		if !ok {
			return nil, fmt.Errorf("%w: unknown charset %q (known: %s; combine with +)", ErrInvalid, name, strings.Join(CharsetNames, ", "))
		}
		for _, c := range cs {
			if seen[c] {
				continue
			}
			seen[c] = true
			if o.NoLookalikes {
				c = strings.Map(func(r rune) rune {
					if strings.ContainsRune(lookalikes, r) {
						return -1
					}
					return r
				}, c)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// Generate makes a new random value with crypto/rand.
//
// A password is drawn uniformly from the union of its classes and drawn
// again until every class appears: rejection keeps the result uniform over
// all passwords that satisfy the guarantee, where forcing one character of
// each class into fixed places would not.
func Generate(o GenerateOptions) ([]byte, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Words > 0 {
		words, err := diceware.Generate(o.Words)
		if err != nil {
			return nil, fmt.Errorf("generate words: %w", err)
		}
		return []byte(strings.Join(words, o.Separator)), nil
	}
	classes, _ := o.classes()
	alphabet := strings.Join(classes, "")
	out := make([]byte, o.Length)
	for {
		for i := range out {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return nil, fmt.Errorf("generate: %w", err)
			}
			out[i] = alphabet[n.Int64()]
		}
		if hasEach(out, classes) {
			return out, nil
		}
	}
}

func hasEach(b []byte, classes []string) bool {
	for _, c := range classes {
		if !strings.ContainsAny(string(b), c) {
			return false
		}
	}
	return true
}
