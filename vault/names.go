package vault

import (
	"fmt"
	"strings"
)

// The documented limits.
const (
	MaxNameLen        = 256
	MaxValueLen       = 64 * 1024
	MaxContentTypeLen = 255
	MaxTags           = 32
	MaxTagKeyLen      = 64
	MaxTagValueLen    = 512
	MaxActorLen       = 1024
)

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '@' || c == '+' || c == '-'
}

// ValidateName checks a secret name: 1–256 bytes, segments of
// [A-Za-z0-9._@+-] separated by "/", no empty, "." or ".." segment.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty secret name", ErrInvalid)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: secret name is %d bytes, the limit is %d", ErrInvalid, len(name), MaxNameLen)
	}
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: secret name %q has an empty segment (leading, trailing or double /)", ErrInvalid, name)
		case ".", "..":
			return fmt.Errorf("%w: secret name %q has a %q segment", ErrInvalid, name, seg)
		}
		for i := 0; i < len(seg); i++ {
			if !nameByte(seg[i]) {
				return fmt.Errorf("%w: secret name %q has a character outside [A-Za-z0-9._@+-/]", ErrInvalid, name)
			}
		}
	}
	return nil
}

// ValidatePrefix checks a list prefix: empty, or a name, optionally with a
// trailing "/".
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidateName(strings.TrimSuffix(prefix, "/"))
}

func tagKeyOK(k string) bool {
	if len(k) < 1 || len(k) > MaxTagKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateTagKey checks a tag key: [A-Za-z0-9._-]{1,64}.
func ValidateTagKey(k string) error {
	if !tagKeyOK(k) {
		return fmt.Errorf("%w: tag key %q must be 1-64 of [A-Za-z0-9._-]", ErrInvalid, k)
	}
	return nil
}

// ValidateTag checks one tag, including the reserved keys' formats.
func ValidateTag(k, v string) error {
	if err := ValidateTagKey(k); err != nil {
		return err
	}
	if strings.HasPrefix(k, ReservedTagPrefix) {
		return fmt.Errorf("%w: tag key %q: keys starting with %q are reserved for sync", ErrInvalid, k, ReservedTagPrefix)
	}
	if len(v) > MaxTagValueLen {
		return fmt.Errorf("%w: tag %s has a value of %d bytes, the limit is %d", ErrInvalid, k, len(v), MaxTagValueLen)
	}
	switch k {
	case TagRotateEvery:
		if _, err := ParseInterval(v); err != nil {
			return fmt.Errorf("tag %s: %w", k, err)
		}
	case TagSnoozeUntil:
		if _, err := ParseTime(v); err != nil {
			return fmt.Errorf("tag %s: %w", k, err)
		}
	}
	return nil
}

// ValidateTags checks a whole tag set.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("%w: %d tags, the limit is %d", ErrInvalid, len(tags), MaxTags)
	}
	for k, v := range tags {
		if err := ValidateTag(k, v); err != nil {
			return err
		}
	}
	return nil
}

// ParseTag splits "key=value" and validates it.
func ParseTag(s string) (key, value string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%w: tag %q is not key=value", ErrInvalid, s)
	}
	return k, v, ValidateTag(k, v)
}

// ParseTags reads key=value words into a tag set, checking each tag and
// the set's size. No words give a nil set.
func ParseTags(words []string) (map[string]string, error) {
	if len(words) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(words))
	for _, w := range words {
		k, v, err := ParseTag(w)
		if err != nil {
			return nil, err
		}
		tags[k] = v
	}
	return tags, ValidateTags(tags)
}

// ValidActor reports whether an actor (user@host) read from outside, such
// as a backup, is short and printable.
func ValidActor(actor string) bool {
	return len(actor) <= MaxActorLen && Sanitize(actor) == actor
}

// ValidateValue checks a value's size.
func ValidateValue(v []byte) error {
	switch {
	case len(v) == 0:
		return fmt.Errorf("%w: empty value", ErrInvalid)
	case len(v) > MaxValueLen:
		return fmt.Errorf("%w: value is %d bytes, the limit is %d (64 KiB)", ErrInvalid, len(v), MaxValueLen)
	}
	return nil
}

// ValidateContentType checks a content type: printable, at most 255 bytes.
func ValidateContentType(ct string) error {
	if len(ct) > MaxContentTypeLen {
		return fmt.Errorf("%w: content type is %d bytes, the limit is %d", ErrInvalid, len(ct), MaxContentTypeLen)
	}
	if Sanitize(ct) != ct {
		return fmt.Errorf("%w: content type holds control characters", ErrInvalid)
	}
	return nil
}
